import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  Phase,
  encodeMessage,
  messageKeyOf,
  requestIdOf,
  type IssueRequest,
} from '@rediclaim/core';
import type { EventsStore } from '../config/events-store.js';
import type { LiveEvent } from '../config/live-event.js';
import type { GateMetrics } from '../metrics.js';

export interface DispatcherOptions {
  /** How often each open event is considered (ms). */
  intervalMs: number;
  /** Most shoppers one admit call takes. */
  batchMax: number;
  /** The token bucket holds rate x burstSeconds (at least 1). */
  burstSeconds: number;
  /** How often overdue admissions are put back (ms, per event). */
  requeueIntervalMs: number;
  /** Kafka's time to acknowledge a batch of requests (ms). */
  sendTimeoutMs: number;
  /** Test hook: wait between admission and send, so a test can kill the gate there. */
  holdAfterAdmitMs: number;
}

export interface DispatcherDeps {
  redis: Redis;
  events: EventsStore;
  producer: Producer;
  topic: string;
  logger: Logger;
  metrics: GateMetrics;
  clock?: () => number;
}

/** Admission rounds per event per tick while full batches keep coming. */
const MAX_ROUNDS_PER_TICK = 20;

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
 */
export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly busy = new Map<string, Promise<void>>();
  private readonly lastRequeue = new Map<string, number>();
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
    for (const event of this.deps.events.all()) {
      if (this.busy.has(event.id)) continue;
      const phase = event.phase(now);
      // Nobody is admitted before opening, so nobody awaits an answer either.
      if (phase === Phase.Scheduled || phase === Phase.PreQueue) continue;
      const admitNew = phase === Phase.Open;
      const requeue = now - (this.lastRequeue.get(event.id) ?? 0) >= this.options.requeueIntervalMs;
      if (!admitNew && !requeue) continue;
      if (requeue) this.lastRequeue.set(event.id, now);
      const work = this.step(event, admitNew, requeue)
        .catch((error: unknown) =>
          this.deps.logger.warn({ err: error, event: event.id }, 'dispatch step failed'),
        )
        .finally(() => this.busy.delete(event.id));
      this.busy.set(event.id, work);
    }
    this.schedule();
  }

  /**
   * One event's turn: overdue admissions join the retry set; then admit (open events)
   * or only send the retry set again (paused or closed events, when it is not empty).
   */
  private async step(event: LiveEvent, admitNew: boolean, requeue: boolean): Promise<void> {
    const { redis, metrics } = this.deps;
    const k = event.keys;
    const label = `${event.tenant}/${event.id}`;
    let retrying = 0;
    if (requeue) {
      const back = (await redis.rcRequeueStale(
        k.inflight,
        k.deadlines,
        k.stats,
        k.retry,
        1000,
      )) as [number, number, ...string[]];
      if (back[0] > 0) {
        metrics.requeued.inc({ event: label, reason: 'timeout' }, back[0]);
        this.deps.logger.warn(
          { event: label, count: back[0] },
          'admitted shoppers got no result in time; their requests will be sent again',
        );
      }
      retrying = Number(back[1]);
    }
    if (!admitNew && retrying === 0) return;
    const burst = Math.max(1, event.rate * this.options.burstSeconds);
    for (let round = 0; round < MAX_ROUNDS_PER_TICK && this.running; round++) {
      const started = performance.now();
      const reply = (await redis.rcAdmit(
        k.queue,
        k.inflight,
        k.deadlines,
        k.stats,
        k.limiter,
        k.tombstone,
        k.retry,
        event.rate,
        burst,
        event.stockArg,
        event.processingTimeoutMs,
        this.options.batchMax,
        event.uid,
        admitNew ? 1 : 0,
      )) as [number, number, number, number, number, ...string[]];
      metrics.admitDuration.observe({ step: 'admit' }, (performance.now() - started) / 1000);
      metrics.queueLength.set({ event: label }, Number(reply[1]));
      metrics.inflight.set({ event: label }, Number(reply[3]));
      const admitted = (reply.length - 5) / 2;
      if (admitted === 0) return;
      const resent = Number(reply[4]);
      if (resent > 0)
        this.deps.logger.info(
          { event: label, count: resent },
          'sending again requests that may not have reached the issuer (same requestId)',
        );
      if (this.options.holdAfterAdmitMs > 0) {
        this.deps.logger.info(
          { event: label, count: admitted },
          'admitted; holding before the send (DISPATCH_TEST_HOLD_AFTER_ADMIT_MS)',
        );
        await Promise.race([sleep(this.options.holdAfterAdmitMs), this.stopping.promise]);
      }
      await this.send(event, label, Number(reply[0]), reply.slice(5) as string[]);
      if (admitted < this.options.batchMax) return;
    }
  }

  /** Sends the requests of one admission batch; on failure, puts the shoppers back. */
  private async send(
    event: LiveEvent,
    label: string,
    admittedAtMs: number,
    pairs: string[],
  ): Promise<void> {
    const { producer, redis, metrics, topic, logger } = this.deps;
    const admittedAt = new Date(admittedAtMs).toISOString();
    const messages = [];
    for (let i = 0; i < pairs.length; i += 2) {
      const userId = pairs[i]!;
      const ticket = Number(pairs[i + 1]);
      const request: IssueRequest = {
        type: 'IssueRequest',
        version: 1,
        requestId: requestIdOf(event.tenant, event.id, userId, ticket),
        tenant: event.tenant,
        eventId: event.id,
        userId,
        ticket,
        admittedAt,
        policy: event.policy,
      };
      messages.push({
        key: messageKeyOf(event.tenant, event.id, userId),
        value: encodeMessage(request),
      });
    }
    const started = performance.now();
    try {
      await producer.send({ topic, acks: -1, timeout: this.options.sendTimeoutMs, messages });
      metrics.admitted.inc({ event: label }, messages.length);
      metrics.admitDuration.observe({ step: 'send' }, (performance.now() - started) / 1000);
    } catch (error) {
      metrics.sendFailures.inc();
      const k = event.keys;
      // Unacknowledged is not undelivered: the shoppers stay in flight and their requests
      // are sent again (same requestId). If this fails too (Redis away), their deadline
      // brings them to the retry set through requeueStale.
      const back = await redis.rcRequeueFailed(k.inflight, k.deadlines, k.stats, k.retry, ...pairs);
      metrics.requeued.inc({ event: label, reason: 'send_failed' }, back);
      logger.warn(
        { err: error, event: label, count: messages.length, requeued: back },
        'Kafka did not acknowledge the issue requests; they will be sent again',
      );
    }
  }
}
