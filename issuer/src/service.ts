import { readFileSync } from 'node:fs';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import {
  backoffDelay,
  createMissingTopics,
  describeKafkaTopics,
  describeKafkaSecurity,
  kafkaSecurity,
  sleep,
  type BackoffPolicy,
} from '@rediclaim/core';
import { decideEvent, type EventDecision } from './db/decide-event.js';
import { DatabaseMonitor } from './db/database-monitor.js';
import { followPrimary } from './db/follow-primary.js';
import { endpointName } from './db/mysql-hosts.js';
import { openDatabase } from './db/open.js';
import { describeMysqlTls, mysqlTlsOf } from './db/tls-settings.js';
import { pingDatabase } from './db/ping.js';
import { whileUp } from './db/while-up.js';
import { DecisionReporter } from './decision-reporter.js';
import { EventLanes } from './decisions/lanes.js';
import { errorCode } from './error-code.js';
import type { ReadinessReport } from './http/app.js';
import { createBatchHandler } from './kafka/batch-handler.js';
import { createKafka } from './kafka/client.js';
import { FetchPause } from './kafka/fetch-pause.js';
import { OffsetTracker } from './kafka/offset-tracker.js';
import { keyPartitioner } from './kafka/partitioner.js';
import { Publisher } from './kafka/publisher.js';
import { IssuerMetrics } from './metrics.js';
import { OutageReporter } from './outage-reporter.js';
import { OutboxRelay } from './outbox/relay.js';
import { Redemptions } from './redemption/redemptions.js';
import { redactUrl, topicsOf, type IssuerSettings } from './settings.js';

export interface IssuerOptions {
  settings: IssuerSettings;
  logger: Logger;
  metrics?: IssuerMetrics;
  /** Called when the consumer stopped for good (kafkajs will not restart it). */
  onFatal?(error: unknown): void;
}

/**
 * The issuer: the database (TypeORM over mysql2, migrated on start), one event lane per
 * coupon event, and a kafkajs consumer group whose batches feed the lanes. Start-up
 * waits for the database and the broker as long as it takes (readiness says so);
 * a database outage later pauses fetching until the database answers again, with the
 * batches in hand waiting uncommitted (db/database-monitor.ts);
 * stop() finishes the batch in hand, or abandons it uncommitted after the shutdown
 * timeout, then leaves the group and closes every connection.
 */
export class Issuer {
  readonly metrics: IssuerMetrics;
  private readonly settings: IssuerSettings;
  private readonly logger: Logger;
  private readonly backoff: BackoffPolicy;
  private readonly stopping = new AbortController();
  private readonly shutdownDeadline = new AbortController();
  private dataSource?: DataSource;
  private redemptionOps?: Redemptions;
  private monitor?: DatabaseMonitor;
  private fetching?: FetchPause;
  /** Why the pool is not open yet, for readiness during start-up. */
  private connectError?: string;
  private kafka?: Kafka;
  private producer?: Producer;
  private consumer?: Consumer;
  private lanes?: EventLanes<EventDecision>;
  private tracker?: OffsetTracker;
  /** Publishes the outbox while this replica holds the relay lock (OUTBOX_RELAY). */
  private relay?: OutboxRelay;
  private joined = false;
  private started?: Promise<void>;
  private stopped?: Promise<void>;

  constructor(private readonly options: IssuerOptions) {
    this.settings = options.settings;
    this.logger = options.logger;
    this.metrics =
      options.metrics ??
      new IssuerMetrics({ eventSeriesTtlMs: this.settings.ISSUER_EVENT_SERIES_TTL_SECONDS * 1000 });
    this.backoff = {
      baseMs: this.settings.ISSUER_RETRY_BASE_MS,
      capMs: this.settings.ISSUER_RETRY_MAX_MS,
    };
  }

  /** Resolves once the consumer runs (or when stop() is called first). */
  start(): Promise<void> {
    this.started ??= this.run();
    return this.started;
  }

  private async run(): Promise<void> {
    const s = this.settings;
    this.logger.info(
      {
        mysql: redactUrl(s.MYSQL_URL),
        ...(s.MYSQL_HOSTS ? { mysqlHosts: s.MYSQL_HOSTS.map(endpointName) } : {}),
        mysqlTls: describeMysqlTls(s),
        brokers: s.KAFKA_BROKERS,
        kafkaSecurity: describeKafkaSecurity(s),
        kafkaTopics: describeKafkaTopics(s),
        groupId: s.KAFKA_GROUP_ID,
        topics: topicsOf(s),
      },
      'issuer starting',
    );
    const outages = new OutageReporter(this.metrics, this.logger);
    // Read once: every connection (dialect, migrations, pool, relay) has the same TLS.
    const mysqlTls = mysqlTlsOf(s);
    // MYSQL_HOSTS: every connection goes to the server that takes writes.
    const primary = followPrimary(s, mysqlTls, this.logger, this.metrics);
    const dataSource = await this.untilDone(
      'connecting to the database',
      () => openDatabase(s, this.logger, mysqlTls, primary),
      (error) => {
        this.connectError = `${errorCode(error)}: ${(error as Error).message}`;
        this.metrics.mysqlCheckFailures.inc({ code: errorCode(error) });
      },
    );
    if (!dataSource) return;
    this.dataSource = dataSource;
    this.redemptionOps = new Redemptions(dataSource, {
      queryTimeoutMs: s.MYSQL_QUERY_TIMEOUT_MS,
      hooks: {
        decided: (operation, outcome, coupon) =>
          this.metrics.redemptions.inc({
            ...this.metrics.eventLabels(coupon.tenant, coupon.eventId),
            operation,
            outcome,
          }),
        // A redemption or release committed its outbox row: publish it now, not at the next poll.
        committed: () => this.relay?.nudge(),
      },
    });
    outages.connected();
    // While the database is down the issuer takes no batch: what is in hand waits in
    // the lanes (uncommitted, so nothing is lost), and fetching resumes when it answers.
    const monitor = new DatabaseMonitor({
      // With MYSQL_HOSTS every check also finds the primary again: after a failover the
      // outage ends once one server (the promoted one) takes writes.
      probe: async () => {
        await primary?.find();
        await pingDatabase(dataSource);
      },
      backoff: this.backoff,
      intervalMs: s.MYSQL_CHECK_INTERVAL_MS,
      hooks: {
        down: (outage) => {
          outages.down(outage);
          this.fetching?.hold('database');
        },
        up: (outage, seconds) => {
          outages.up(outage, seconds);
          this.fetching?.release('database');
        },
        checkFailed: (error, attempt) => outages.checkFailed(error, attempt),
      },
    });
    this.monitor = monitor;
    monitor.start();

    const security = kafkaSecurity(s, (file) => readFileSync(file, 'utf8'));
    this.kafka = createKafka(s.KAFKA_CLIENT_ID, s.KAFKA_BROKERS, this.logger, security);
    const topics = topicsOf(s);
    const created = await this.untilDone('creating topics', async () => {
      const admin = this.kafka!.admin();
      await admin.connect();
      try {
        const others = s.OUTBOX_RELAY ? [s.TOPIC_COUPONS] : [];
        return await createMissingTopics(admin, s, [...Object.values(topics), ...others]);
      } finally {
        await admin.disconnect();
      }
    });
    if (!created) return;
    if (created.length > 0) this.logger.info({ topics: created }, 'created missing topics');

    this.producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: keyPartitioner,
    });
    if (
      !(await this.untilDone('connecting the producer', () =>
        this.producer!.connect().then(() => true),
      ))
    ) {
      return;
    }

    // The outbox relay: needs the database and the broker, nothing of the consumer's.
    if (s.OUTBOX_RELAY && !this.stopping.signal.aborted) {
      const relayLogger = this.logger.child({ component: 'outbox-relay' });
      this.relay = new OutboxRelay({
        mysqlUrl: s.MYSQL_URL,
        mysqlTls,
        ...(primary ? { mysqlStream: primary.stream } : {}),
        // A failed turn may be the database gone or demoted: the monitor checks.
        failed: () => void this.monitor?.suspect(),
        kafka: createKafka(s.KAFKA_CLIENT_ID, s.KAFKA_BROKERS, relayLogger, security, 'short'),
        topic: s.TOPIC_COUPONS,
        batchRows: s.OUTBOX_BATCH_ROWS,
        pollIntervalMs: s.OUTBOX_POLL_INTERVAL_MS,
        retentionHours: s.OUTBOX_RETENTION_HOURS,
        queryTimeoutMs: s.MYSQL_QUERY_TIMEOUT_MS,
        backoff: this.backoff,
        metrics: this.metrics,
        logger: relayLogger,
      });
      this.relay.start();
    }

    this.lanes = new EventLanes<EventDecision>(
      whileUp(
        monitor,
        (key, requests) =>
          decideEvent(dataSource, s.COUPON_CODE_SECRET, key, requests, {
            queryTimeoutMs: s.MYSQL_QUERY_TIMEOUT_MS,
          }),
        this.shutdownDeadline.signal,
      ),
      {
        backoff: this.backoff,
        maxRequestsPerTransaction: s.ISSUER_MAX_TRANSACTION_REQUESTS,
        hooks: new DecisionReporter(this.metrics, this.logger, () => !monitor.up),
      },
    );

    const consumer = this.kafka.consumer({
      groupId: s.KAFKA_GROUP_ID,
      sessionTimeout: 30_000,
      rebalanceTimeout: 60_000,
      heartbeatInterval: 3_000,
      maxBytes: s.ISSUER_FETCH_MAX_BYTES,
      maxBytesPerPartition: s.ISSUER_FETCH_MAX_BYTES_PER_PARTITION,
      minBytes: s.ISSUER_FETCH_MIN_BYTES,
      maxWaitTimeInMs: s.ISSUER_FETCH_MAX_WAIT_MS,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    const fetching = new FetchPause(consumer, topics.issueRequests);
    this.fetching = fetching;
    if (!monitor.up) fetching.hold('database');
    const tracker = new OffsetTracker({
      maxInFlightMessages: s.ISSUER_MAX_IN_FLIGHT_MESSAGES,
      commit: (topic, partition, offset) => consumer.commitOffsets([{ topic, partition, offset }]),
      rewind: (topic, partition, offset) => {
        this.logger.warn(
          { topic, partition, offset },
          'reading the partition again from a failed batch',
        );
        consumer.seek({ topic, partition, offset });
      },
      commitFailed: (topic, partition, offset, error) =>
        this.logger.info(
          { topic, partition, offset, code: errorCode(error) },
          'offsets not committed (the group is rebalancing?); those batches will be delivered again',
        ),
    });
    this.tracker = tracker;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      // A (re)join rewinds every partition to its committed offset: what is in flight
      // settles without committing, and the batches come again.
      tracker.reset();
      fetching.reapply();
      this.joined = true;
      this.logger.info(
        { memberId: event.payload.memberId, assignment: event.payload.memberAssignment },
        'joined the consumer group',
      );
    });
    consumer.on(consumer.events.CRASH, (event) => {
      this.joined = false;
      const { error, restart } = event.payload;
      if (restart) {
        this.logger.warn({ err: error }, 'consumer crashed; kafkajs restarts it');
      } else if (!this.stopping.signal.aborted) {
        this.logger.fatal({ err: error }, 'consumer crashed and will not restart');
        this.options.onFatal?.(error);
      }
    });
    consumer.on(consumer.events.STOP, () => (this.joined = false));

    const handler = createBatchHandler({
      lanes: this.lanes,
      publisher: new Publisher(this.producer, topics),
      tracker,
      trust: { keys: s.REQUEST_SIGNING_KEYS ?? [], signatures: s.REQUEST_SIGNATURES },
      metrics: this.metrics,
      logger: this.logger,
      backoff: this.backoff,
      stopping: this.stopping.signal,
      abandon: this.shutdownDeadline.signal,
    });
    const running = await this.untilDone('starting the consumer', async () => {
      await consumer.connect();
      await consumer.subscribe({ topics: [topics.issueRequests], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: s.ISSUER_PARTITIONS_CONCURRENCY,
        eachBatch: handler,
      });
      return true;
    });
    if (running) this.logger.info('issuer consuming');
  }

  /** The redemption API's operations, once the database is open. */
  redemptions(): Redemptions | undefined {
    return this.stopping.signal.aborted ? undefined : this.redemptionOps;
  }

  /** Tries `step` with backoff until it succeeds; undefined when stop() came first. */
  private async untilDone<T>(
    what: string,
    step: () => Promise<T>,
    onFailure?: (error: unknown) => void,
  ): Promise<T | undefined> {
    let lastCode: string | undefined;
    for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
      try {
        const done = await step();
        if (attempt > 1) this.logger.info({ attempts: attempt }, `${what} succeeded`);
        return done;
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        onFailure?.(error);
        const delay = backoffDelay(attempt, this.backoff);
        const code = errorCode(error);
        // One line per kind of failure, not per attempt: a dependency that stays down
        // for an hour must not fill the log with the same line.
        const level = code === lastCode ? 'debug' : 'warn';
        lastCode = code;
        this.logger[level](
          { attempt, delayMs: delay, code, error: (error as Error).message },
          `${what} failed; retrying`,
        );
        await sleep(delay, this.stopping.signal);
      }
    }
    return undefined;
  }

  /**
   * Not ready while the database is down: the issuer cannot decide anything without it.
   * Liveness (/healthz) stays true meanwhile, since a restarted pod would meet the same
   * database; the process waits and resumes by itself.
   */
  async readiness(): Promise<ReadinessReport> {
    const database = this.monitor
      ? await this.monitor.readiness()
      : {
          ok: false,
          detail: this.connectError
            ? `not connected yet (${this.connectError})`
            : 'not connected yet',
        };
    const consumer = this.stopping.signal.aborted
      ? { ok: false, detail: 'stopping' }
      : !this.joined
        ? { ok: false, detail: 'not in the consumer group yet' }
        : this.fetching?.paused
          ? {
              ok: true,
              detail: 'in the consumer group; fetching paused until the database answers',
            }
          : { ok: true };
    const ready = database.ok && consumer.ok;
    this.metrics.ready.set(ready ? 1 : 0);
    return { ready, checks: { database, consumer } };
  }

  /** Graceful: the batch in hand finishes, or after ISSUER_SHUTDOWN_TIMEOUT_MS is abandoned uncommitted. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.logger.info('issuer stopping');
    this.stopping.abort();
    // The relay finishes the rows in hand meanwhile (or is cut off after the timeout).
    const relayStopped = this.relay?.stop(this.settings.ISSUER_SHUTDOWN_TIMEOUT_MS);
    this.tracker?.close();
    const deadline = setTimeout(() => {
      this.logger.warn(
        'shutdown timeout: abandoning the batches in hand (they will be delivered again)',
      );
      this.shutdownDeadline.abort();
      this.lanes?.stop();
    }, this.settings.ISSUER_SHUTDOWN_TIMEOUT_MS);
    try {
      await this.started?.catch(() => undefined);
      if (this.consumer && this.tracker) {
        // Take no new batch; let those in hand be decided, published and committed
        // while the member is still in the group (kafkajs commits nothing after stop).
        this.fetching?.hold('stopping');
        await this.tracker.drained(this.shutdownDeadline.signal);
      }
      await this.consumer
        ?.disconnect()
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, 'consumer did not disconnect cleanly'),
        );
    } finally {
      clearTimeout(deadline);
    }
    this.lanes?.stop();
    await relayStopped;
    await this.monitor?.stop();
    await this.producer?.disconnect().catch(() => undefined);
    await this.dataSource?.destroy().catch(() => undefined);
    this.joined = false;
    this.logger.info('issuer stopped');
  }
}
