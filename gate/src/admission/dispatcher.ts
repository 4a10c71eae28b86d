import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { Phase, newTrace } from '@rediclaim/core';
import type { EventsStore } from '../config/events-store.js';
import type { LiveEvent } from '../config/live-event.js';
import type { IssueRequestSender } from '../kafka/issue-requests.js';
import type { GateMetrics } from '../metrics.js';
import type { AdmittedShopper, GateScripts } from '../redis/gate-scripts.js';
import type { ChangePublisher } from '../push/change-publisher.js';

export interface DispatcherOptions {
  /** How often each open event is considered (ms). */
  intervalMs: number;
  /** Most shoppers one admit call takes. */
  batchMax: number;
  /** The token bucket holds rate x burstSeconds (at least 1). */
  burstSeconds: number;
  /**
   * Backpressure: an admission without a result after this long is overdue, and more
   * than a few slow the fleet down (0: off). Never beyond an event's processing timeout.
   */
  overdueMs: number;
  /** The least share of the configured rate backpressure keeps. */
  minRateFraction: number;
  /** How often overdue admissions are put back (ms, per event). */
  requeueIntervalMs: number;
  /** Test hook: wait between admission and send, so a test can kill the gate there. */
  holdAfterAdmitMs: number;
}

export interface DispatcherDeps {
  scripts: GateScripts;
  events: EventsStore;
  requests: IssueRequestSender;
  /** Whether Kafka answers (the KafkaMonitor): nothing is sent while it does not. */
  kafka: KafkaAvailability;
  logger: Logger;
  metrics: GateMetrics;
  /** Tells every replica's push streams whom it admitted. */
  changes: ChangePublisher;
  clock?: () => number;
}

/** What the dispatcher knows of Kafka, and tells it (KafkaMonitor). */
export interface KafkaAvailability {
  readonly up: boolean;
  readonly state: { since: number; message?: string };
  sendFailed(error: unknown): void;
  sendSucceeded(): void;
}

/** Why this replica admits nobody new (the admin stats' `admission`, the gauge's cause). */
export interface AdmissionPause {
  reason: 'KafkaUnavailable';
  message: string;
  /** Since when (ms since the epoch). */
  since: number;
}

/** Admission rounds per event per tick while full batches keep coming. */
const MAX_ROUNDS_PER_TICK = 20;

/**
 * AIMD, as TCP follows a congested path: halve the allowance at each sign of a backlog
 * (a cut shows within one overdue age), regain a tenth of the rate per healthy second,
 * so a sale slowed to the floor is back at its rate within ten seconds of recovery.
 */
const BACKPRESSURE_CUT = 0.5;
const BACKPRESSURE_RECOVERY_PER_SECOND = 0.1;

/**
 * The dispatcher: every replica runs one. For each open event it calls the admit script
 * (the fleet-wide token bucket lives in Redis, so replicas share the rate instead of
 * multiplying it) and sends the admitted shoppers' IssueRequests to Kafka in one batch.
 * A send Kafka does not acknowledge, and an admission whose deadline passes without a
 * result (requeueStale), may still have reached the issuer: those shoppers stay in
 * flight (PROCESSING) in the event's retry set, and the admit script sends them again
 * with the same requestId before anyone new, whatever the phase after opening (sold
 * out, paused, closed), until the issuer's answer arrives. This is also what rescues
 * shoppers admitted by a replica that died before sending.
 *
 * While Kafka is unreachable (a send it did not acknowledge, a failed probe) nothing is
 * sent: nobody new is admitted (shoppers keep their place and read WAITING), the retry
 * set keeps the requests that may already be in Kafka (PROCESSING), and overdue
 * admissions still join it. Admission resumes by itself when Kafka answers again, at
 * the configured rate: the bucket never holds more than its burst, however long the
 * outage, and the retry set is sent first, taking its tokens like everyone else.
 */
export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly busy = new Map<string, Promise<void>>();
  private readonly lastRequeue = new Map<string, number>();
  /**
   * The allowance each event's last admission saw, to log its slowdowns and recovery
   * once. Keyed, as lastRequeue, by event id (unique across tenants).
   */
  private readonly lastAllowed = new Map<string, number>();
  private readonly stopping: { promise: Promise<void>; resolve: () => void };
  private readonly clock: () => number;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly options: DispatcherOptions,
  ) {
    this.clock = deps.clock ?? Date.now;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.stopping = { promise, resolve };
    this.showPause(deps.kafka.up);
  }

  /** Why this replica admits nobody new right now; undefined while it admits. */
  pause(): AdmissionPause | undefined {
    const { up, state } = this.deps.kafka;
    if (up) return undefined;
    return {
      reason: 'KafkaUnavailable',
      message: `Kafka is unreachable (${state.message ?? 'no answer'}): nobody new is admitted and everyone keeps their place until it answers again.`,
      since: state.since,
    };
  }

  private showPause(sending: boolean): void {
    this.deps.metrics.admissionPaused.set({ cause: 'kafka_unavailable' }, sending ? 0 : 1);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  /** Stops admitting; waits for sends in progress to finish (or their shoppers to be requeued). */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping.resolve();
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.busy.values()]);
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => this.tick(), this.options.intervalMs);
  }

  private tick(): void {
    const now = this.clock();
    const sending = this.deps.kafka.up;
    this.showPause(sending);
    let served = 0;
    for (const event of this.deps.events.all()) {
      served += 1;
      if (this.busy.has(event.id)) continue;
      const phase = event.phase(now);
      // Nobody is admitted before opening, so nobody awaits an answer either.
      if (phase === Phase.Scheduled || phase === Phase.PreQueue) continue;
      const admitNew = phase === Phase.Open;
      const requeue = now - (this.lastRequeue.get(event.id) ?? 0) >= this.options.requeueIntervalMs;
      if (!requeue && !(admitNew && sending)) continue;
      if (requeue) this.lastRequeue.set(event.id, now);
      const work = this.step(event, admitNew, requeue, sending)
        .catch((error: unknown) =>
          this.deps.logger.warn({ err: error, event: event.id }, 'dispatch step failed'),
        )
        .finally(() => this.busy.delete(event.id));
      this.busy.set(event.id, work);
    }
    if (this.lastRequeue.size > served || this.lastAllowed.size > served) this.forgetRemoved();
    this.schedule();
  }

  /** Drops what was kept for events no longer served (a deleted or finished sale). */
  private forgetRemoved(): void {
    const served = new Set<string>();
    for (const event of this.deps.events.all()) served.add(event.id);
    for (const id of this.lastRequeue.keys()) if (!served.has(id)) this.lastRequeue.delete(id);
    for (const id of this.lastAllowed.keys()) if (!served.has(id)) this.lastAllowed.delete(id);
  }

  /**
   * One event's turn: overdue admissions join the retry set; then, unless Kafka is
   * unreachable, admit (open events) or only send the retry set again (paused or
   * closed events, when it is not empty).
   */
  private async step(
    event: LiveEvent,
    admitNew: boolean,
    requeue: boolean,
    sending: boolean,
  ): Promise<void> {
    const { scripts, metrics } = this.deps;
    const label = `${event.tenant}/${event.id}`;
    let retrying = 0;
    if (requeue) {
      const back = await scripts.requeueStale(event.keys, 1000);
      if (back.moved.length > 0) {
        metrics.countRequeued(event, 'timeout', back.moved.length);
        this.deps.logger.warn(
          { event: label, count: back.moved.length },
          'admitted shoppers got no result in time; their requests will be sent again',
        );
      }
      retrying = back.retrying;
    }
    if (!sending || (!admitNew && retrying === 0)) return;
    const burst = Math.max(1, event.rate * this.options.burstSeconds);
    const { overdueMs, minRateFraction } = this.options;
    const backpressure =
      overdueMs > 0
        ? {
            overdueMs: Math.min(overdueMs, event.processingTimeoutMs),
            floor: minRateFraction,
            cut: BACKPRESSURE_CUT,
            recoveryPerSecond: BACKPRESSURE_RECOVERY_PER_SECOND,
          }
        : undefined;
    for (
      let round = 0;
      round < MAX_ROUNDS_PER_TICK && this.running && this.deps.kafka.up;
      round++
    ) {
      const started = performance.now();
      const reply = await scripts.admit(event.keys, {
        rate: event.rate,
        burst,
        stock: event.stockArg,
        timeoutMs: event.processingTimeoutMs,
        batchMax: this.options.batchMax,
        uid: event.uid,
        admitNew,
        ...(backpressure ? { backpressure } : {}),
      });
      metrics.admitDuration.observe({ step: 'admit' }, (performance.now() - started) / 1000);
      if (reply.kind === 'STALE') {
        // The keys still hold the sale this one replaced: its shoppers are not this
        // sale's. Retire it (its outcomes stay readable); the next tick admits.
        await scripts.retire(event.keys, {
          uid: reply.owner,
          retentionSeconds: event.retentionSeconds,
        });
        this.deps.logger.info(
          { event: label, retired: reply.owner, uid: event.uid },
          'retired the sale this event replaced',
        );
        return;
      }
      metrics.sawDispatch(event, reply);
      this.followAllowance(event, reply);
      const admitted = reply.shoppers.length;
      if (admitted === 0) return;
      // PROCESSING from now on, whatever becomes of the send: their streams may say so.
      this.deps.changes.admitted(
        event.keys,
        reply.shoppers.map((s) => s.userId),
        admitted - reply.resent,
      );
      if (reply.resent > 0)
        this.deps.logger.info(
          { event: label, count: reply.resent },
          'sending again requests that may not have reached the issuer (same requestId)',
        );
      if (this.options.holdAfterAdmitMs > 0) {
        this.deps.logger.info(
          { event: label, count: admitted },
          'admitted; holding before the send (DISPATCH_TEST_HOLD_AFTER_ADMIT_MS)',
        );
        await Promise.race([sleep(this.options.holdAfterAdmitMs), this.stopping.promise]);
      }
      await this.send(event, reply.nowMs, reply.shoppers, reply.resent);
      if (admitted < this.options.batchMax) return;
    }
  }

  /** Logs when backpressure slows an event down, and when it is back at its rate. */
  private followAllowance(
    event: LiveEvent,
    reply: { allowed: number; overdue: number; slowed: boolean },
  ): void {
    const key = `${event.tenant}/${event.id}`;
    const before = this.lastAllowed.get(event.id) ?? 1;
    this.lastAllowed.set(event.id, reply.allowed);
    if (reply.slowed) {
      this.deps.metrics.countSlowdown(event);
      this.deps.logger.warn(
        {
          event: key,
          overdue: reply.overdue,
          allowedPerSecond: Math.round(event.rate * reply.allowed),
          configuredPerSecond: event.rate,
        },
        'issuance falls behind (admitted shoppers overdue): admitting slower',
      );
    } else if (before < 1 && reply.allowed >= 1)
      this.deps.logger.info(
        { event: key, configuredPerSecond: event.rate },
        'issuance keeps up again: admitting at the configured rate',
      );
  }

  /**
   * Sends the requests of one admission batch; on failure, puts the shoppers back. Each
   * batch is a new trace (its records carry it): the issuer's decision and the recorded
   * results of these shoppers log the same traceId. A batch sent again is a new trace
   * too: the first one's id is not kept with the shoppers (see the README's logs).
   */
  private async send(
    event: LiveEvent,
    admittedAtMs: number,
    shoppers: readonly AdmittedShopper[],
    resent: number,
  ): Promise<void> {
    const { requests, scripts, metrics, logger, kafka } = this.deps;
    const started = performance.now();
    const trace = newTrace();
    try {
      await requests.send(event, admittedAtMs, shoppers, trace);
      kafka.sendSucceeded();
      logger.debug(
        {
          traceId: trace.traceId,
          tenant: event.tenant,
          event: event.id,
          count: shoppers.length,
          resent,
          firstUserId: shoppers[0]?.userId,
          lastUserId: shoppers.at(-1)?.userId,
        },
        'admission batch sent',
      );
      metrics.countAdmitted(event, shoppers.length);
      metrics.admitDuration.observe({ step: 'send' }, (performance.now() - started) / 1000);
    } catch (error) {
      metrics.sendFailures.inc();
      // Nobody else is admitted until Kafka answers a probe again.
      kafka.sendFailed(error);
      // Unacknowledged is not undelivered: the shoppers stay in flight and their requests
      // are sent again (same requestId). If this fails too (Redis away), their deadline
      // brings them to the retry set through requeueStale.
      const back = await scripts.requeueFailed(event.keys, shoppers);
      metrics.countRequeued(event, 'send_failed', back);
      logger.warn(
        {
          err: error,
          event: `${event.tenant}/${event.id}`,
          count: shoppers.length,
          requeued: back,
          traceId: trace.traceId,
        },
        'Kafka did not acknowledge the issue requests; they will be sent again',
      );
    }
  }
}
