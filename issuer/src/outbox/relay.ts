import { setImmediate } from 'node:timers/promises';
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import {
  backoffDelay,
  check,
  describeProblems,
  sleep,
  type BackoffPolicy,
  type CouponLifecycleEvent,
} from '@rediclaim/core';
import { errorCode } from '../error-code.js';
import { keyPartitioner } from '../kafka/partitioner.js';
import type { IssuerMetrics } from '../metrics.js';
import { chunks } from '../db/sql-values.js';
import { issuedEventsOf, missingCoupons } from './issued-events.js';
import {
  loadIssuedCoupons,
  markInvalid,
  markPublished,
  pendingStats,
  purgePublished,
  selectUnpublished,
  type OutboxRow,
} from './outbox-store.js';
import { issuedRangesSchema } from './outbox-rows.js';
import { sendsOf } from './records.js';
import { RelaySession } from './relay-session.js';
import type { MysqlTls } from '../db/tls.js';
import type { StreamFactory } from '../db/primary-finder.js';
import { storedEventOf } from './stored-events.js';

export interface OutboxRelayOptions {
  mysqlUrl: string;
  /** The TLS of the relay's session, as the pool's (MYSQL_TLS_*). */
  mysqlTls?: MysqlTls;
  /** Where the session goes (MYSQL_HOSTS: the primary the pool uses too). */
  mysqlStream?: StreamFactory;
  /**
   * Called when a turn failed: the database may be down or no longer the primary (a
   * write refused as read-only), which the issuer's database monitor then checks.
   */
  failed?(error: unknown): void;
  kafka: Kafka;
  topic: string;
  /** Rows read per poll (OUTBOX_BATCH_ROWS). */
  batchRows: number;
  /** The wait after a poll that found less than a full batch (OUTBOX_POLL_INTERVAL_MS). */
  pollIntervalMs: number;
  /** Published rows older than this are deleted (OUTBOX_RETENTION_HOURS). */
  retentionHours: number;
  queryTimeoutMs: number;
  /** After a failure: the wait before the next attempt, growing while failures repeat. */
  backoff: BackoffPolicy;
  metrics: IssuerMetrics;
  logger: Logger;
  /**
   * Events produced before their rows are marked, about: rows are taken whole until
   * this many events are in hand (one CouponsIssued row alone may hold more).
   */
  eventsPerMark?: number;
  /** How often published rows are purged. */
  purgeIntervalMs?: number;
  /** The named lock (default: relay-session.ts `relayLockName` of the database). */
  lockName?: string;
}

const EVENTS_PER_MARK = 5_000;
const PURGE_INTERVAL_MS = 60_000;
/** Rows one DELETE removes at most: short statements, few locks. */
const PURGE_CHUNK_ROWS = 1_000;
/** Coupons whose events are built between two turns of the event loop. */
const BUILD_SLICE = 1_000;
/** The pending gauges cost a COUNT over the unpublished rows: once a second at most. */
const STATS_INTERVAL_MS = 1_000;

/** One group of whole rows: its events are produced, then its rows marked. */
interface Group {
  published: number[];
  invalid: { row: OutboxRow; reason: string }[];
  events: CouponLifecycleEvent[];
}

const newGroup = (): Group => ({ published: [], invalid: [], events: [] });

/**
 * The transactional outbox's relay: publishes coupon_outbox's rows to the coupons topic
 * in id order, then marks them published. One replica relays at a time, the one whose
 * session holds the relay lock (relay-session.ts); the others stand by, asking for it
 * every poll interval, and one of them takes over within a poll interval of the active
 * one stopping, dying or losing its database session.
 *
 * Delivery is at least once: a row is marked only after every event of it is
 * acknowledged by all in-sync replicas, so a relay that fails (or is killed) between
 * producing and marking leaves rows that the next attempt, here or on another replica,
 * publishes again, with the same event ids; consumers deduplicate by id and order a
 * coupon's events by `sequence` (a republished event may arrive after later ones).
 * Within one attempt a coupon's events are produced in sequence order on one partition
 * (keyed by coupon, one send at a time by an idempotent producer with one request in
 * flight), so deduplicated they stay in order. Nothing uncommitted is ever published:
 * the relay reads only committed rows (outbox-store.ts `selectUnpublished` says why
 * that finds rows committed out of id order too).
 *
 * On any failure (database, broker) the relay lets go of its session and producer,
 * waits (capped exponential backoff) and starts over: new session, the lock taken
 * again, a new producer, from the oldest unmarked row.
 */
export class OutboxRelay {
  private readonly stopping = new AbortController();
  private readonly eventsPerMark: number;
  private readonly purgeIntervalMs: number;
  private session?: RelaySession;
  private producer?: Producer;
  /** Set once the producer of this turn is connected. */
  private producing = false;
  private running?: Promise<void>;
  private stopped?: Promise<void>;
  private wake?: () => void;
  private nudged = false;
  private standbyLogged = false;
  private purgeDueAt = 0;
  private statsAt = 0;

  constructor(private readonly options: OutboxRelayOptions) {
    this.eventsPerMark = options.eventsPerMark ?? EVENTS_PER_MARK;
    this.purgeIntervalMs = options.purgeIntervalMs ?? PURGE_INTERVAL_MS;
  }

  /** Runs in the background until stop(). */
  start(): void {
    this.running ??= this.run();
  }

  /** True while this relay holds the lock and publishes. */
  get active(): boolean {
    return this.producing && (this.session?.holdsLock ?? false);
  }

  /** Something was committed to the outbox: publish it now rather than at the next poll. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  /**
   * Finishes the rows in hand (produced and marked), releases the lock and closes the
   * session and the producer. After `timeoutMs` the session and the producer are closed
   * under whatever is in flight: rows produced and not marked are published again by
   * the next relay.
   */
  stop(timeoutMs = 10_000): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping.abort();
      this.wake?.();
      if (!this.running) return;
      const late = new AbortController();
      const finished = await Promise.race([
        this.running.then(() => true),
        sleep(timeoutMs, late.signal).then(() => false),
      ]);
      late.abort();
      if (!finished) {
        this.options.logger.warn(
          'outbox relay did not finish its rows in time; closing under them',
        );
        await this.teardown(false);
      }
    })();
    return this.stopped;
  }

  private async run(): Promise<void> {
    const { logger, metrics } = this.options;
    let attempt = 0;
    let lastCode: string | undefined;
    while (!this.stopping.signal.aborted) {
      let wasActive = false;
      try {
        this.session ??= await RelaySession.open(this.options.mysqlUrl, {
          queryTimeoutMs: this.options.queryTimeoutMs,
          ...(this.options.lockName ? { lockName: this.options.lockName } : {}),
          ...(this.options.mysqlTls ? { tls: this.options.mysqlTls } : {}),
          ...(this.options.mysqlStream ? { stream: this.options.mysqlStream } : {}),
        });
        if (!(await this.session.tryLock())) {
          this.standBy();
          await this.wait(this.options.pollIntervalMs);
          continue;
        }
        wasActive = true;
        if (!this.producer) await this.activate();
        const full = await this.relayBatch(this.session);
        await this.housekeeping(this.session, !full);
        attempt = 0;
        lastCode = undefined;
        if (!full) await this.wait(this.options.pollIntervalMs);
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        attempt += 1;
        if (wasActive) metrics.outboxPublishFailures.inc();
        this.options.failed?.(error);
        const code = errorCode(error);
        const delayMs = backoffDelay(attempt, this.options.backoff);
        // One line per kind of failure, not per attempt (service.ts untilDone).
        logger[code === lastCode ? 'debug' : 'warn'](
          { attempt, delayMs, code, error: (error as Error).message, wasActive },
          'outbox relay failed; starting over with a new session (rows not marked are published again)',
        );
        lastCode = code;
        await this.teardown(false);
        await sleep(delayMs, this.stopping.signal);
      }
    }
    await this.teardown(true);
  }

  /** Took the lock: the producer for this turn, and the gauges say so. */
  private async activate(): Promise<void> {
    // Idempotent, one request in flight, acks from all in-sync replicas: kafkajs' own
    // retries of a send neither duplicate nor reorder it. They are bounded (the
    // client's, kafka/client.ts createKafka(..., 'short'); kafkajs warns that this "may
    // invalidate EoS guarantees"): a send that cannot succeed must fail, so that stop()
    // is not held by it and the relay's own backoff takes over. Starting over may
    // duplicate what consumers see, never lose or reorder it.
    const producer = this.options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: keyPartitioner,
      retry: { retries: 5 },
    });
    this.producer = producer;
    await producer.connect();
    this.producing = true;
    this.standbyLogged = false;
    this.purgeDueAt = 0;
    this.statsAt = 0;
    this.options.metrics.outboxRelayActive.set(1);
    this.options.logger.info({ topic: this.options.topic }, 'outbox relay active');
  }

  private standBy(): void {
    this.options.metrics.outboxRelayActive.set(0);
    if (this.standbyLogged) return;
    this.standbyLogged = true;
    this.options.logger.info('outbox relay standing by: another replica holds the relay lock');
  }

  /** Publishes and marks up to a batch of rows; true when the batch was full. */
  private async relayBatch(session: RelaySession): Promise<boolean> {
    const rows = await selectUnpublished(session.sql, this.options.batchRows);
    let group = newGroup();
    for (const row of rows) {
      const built = await this.eventsOf(session, row);
      if ('invalid' in built) group.invalid.push({ row, reason: built.invalid });
      else {
        group.published.push(row.id);
        // Not push(...events): a row's events may outnumber what a call takes.
        for (const event of built.events) group.events.push(event);
      }
      if (group.events.length >= this.eventsPerMark) {
        await this.flush(session, group);
        group = newGroup();
        // Stopping: the rows in hand are done; the rest wait for the next relay.
        if (this.stopping.signal.aborted) return false;
      }
    }
    await this.flush(session, group);
    return rows.length === this.options.batchRows;
  }

  private async eventsOf(
    session: RelaySession,
    row: OutboxRow,
  ): Promise<{ events: CouponLifecycleEvent[] } | { invalid: string }> {
    if (row.kind === 'Event') {
      const stored = storedEventOf(row.id, row.payload);
      return 'invalid' in stored ? stored : { events: [stored.event] };
    }
    if (row.kind === 'CouponsIssued') {
      const ranges = check(issuedRangesSchema, row.payload);
      if (!ranges.ok)
        return { invalid: `its ranges are invalid: ${describeProblems(ranges.problems)}` };
      const coupons = await loadIssuedCoupons(session.sql, ranges.value);
      const missing = missingCoupons(ranges.value, coupons);
      if (missing) return { invalid: missing };
      // One transaction's row may hold 20,000 coupons: built a slice at a time, with
      // turns of the event loop between them (the deciding transactions wait on it).
      const events: CouponLifecycleEvent[] = [];
      for (const slice of chunks(coupons, BUILD_SLICE)) {
        const built = issuedEventsOf(row.id, slice);
        if ('invalid' in built) return built;
        events.push(...built.events);
        await setImmediate();
      }
      return { events };
    }
    return { invalid: `its kind '${row.kind}' is not one the relay knows` };
  }

  /** Produces a group's events in order, a send at a time, then marks its rows. */
  private async flush(session: RelaySession, group: Group): Promise<void> {
    const producer = this.producer!;
    for (const { messages, events } of sendsOf(group.events)) {
      await producer.send({ topic: this.options.topic, messages, acks: -1 });
      const types = new Map<string, number>();
      for (const { type } of events) types.set(type, (types.get(type) ?? 0) + 1);
      for (const [type, n] of types) this.options.metrics.outboxEventsPublished.inc({ type }, n);
    }
    const now = new Date();
    await markPublished(session.sql, group.published, now);
    // An invalid row must not hold back every row after it: it is marked as such (kept,
    // never purged, see outbox-store.ts INVALID_KIND), said once, counted, and skipped.
    // Nothing of it is published: a consumer would not be able to read it.
    await markInvalid(
      session.sql,
      group.invalid.map((i) => i.row.id),
      now,
    );
    for (const { row, reason } of group.invalid) {
      this.options.metrics.outboxInvalidRows.inc();
      this.options.logger.error(
        { outboxId: row.id, kind: row.kind, reason, payload: row.payload },
        `outbox row ${row.id} cannot be published (${reason}); marked Invalid and skipped`,
      );
    }
  }

  /** The gauges, and now and then a chunk of published rows purged. */
  private async housekeeping(session: RelaySession, idle: boolean): Promise<void> {
    const now = Date.now();
    if (idle && now >= this.purgeDueAt) {
      const before = new Date(now - this.options.retentionHours * 3_600_000);
      const deleted = await purgePublished(session.sql, before, PURGE_CHUNK_ROWS);
      if (deleted > 0) this.options.logger.debug({ deleted }, 'purged published outbox rows');
      // A full chunk: another at the next idle poll, until the old rows are gone.
      if (deleted < PURGE_CHUNK_ROWS) this.purgeDueAt = now + this.purgeIntervalMs;
    }
    if (now - this.statsAt >= STATS_INTERVAL_MS) {
      this.statsAt = now;
      const stats = await pendingStats(session.sql);
      this.options.metrics.outboxPendingRows.set(stats.rows);
      this.options.metrics.outboxOldestPendingSeconds.set(
        stats.oldest ? Math.max(0, (now - stats.oldest.getTime()) / 1_000) : 0,
      );
    }
  }

  /** Until the poll interval passes, a nudge, or stop(). */
  private async wait(ms: number): Promise<void> {
    if (this.nudged || this.stopping.signal.aborted) {
      this.nudged = false;
      return;
    }
    const waking = new AbortController();
    this.wake = () => waking.abort();
    const onStop = () => waking.abort();
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    try {
      await sleep(ms, waking.signal);
    } finally {
      this.stopping.signal.removeEventListener('abort', onStop);
      this.wake = undefined;
      this.nudged = false;
    }
  }

  /**
   * Lets go of the session (and the lock with it) and the producer: gracefully when
   * stopping (the lock released, so a standby takes over at its next poll), at once
   * after a failure (the server releases the lock of a closed session by itself).
   */
  private async teardown(graceful: boolean): Promise<void> {
    const { session, producer } = this;
    const wasActive = this.active;
    this.session = undefined;
    this.producer = undefined;
    this.producing = false;
    this.options.metrics.outboxRelayActive.set(0);
    this.options.metrics.outboxPendingRows.set(0);
    this.options.metrics.outboxOldestPendingSeconds.set(0);
    if (session) {
      if (graceful) await session.close();
      else session.destroy();
    }
    await producer?.disconnect().catch(() => undefined);
    if (graceful && wasActive) this.options.logger.info('outbox relay stopped; lock released');
  }
}
