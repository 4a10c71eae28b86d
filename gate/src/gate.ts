import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';
import type * as k8s from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import {
  createMissingTopics,
  describeKafkaSecurity,
  describeKafkaTopics,
  kafkaSecurity,
  logOptions,
  sleep,
} from '@rediclaim/core';
import { buildAdminApp, buildApp, type AppDeps } from './app.js';
import { EventsStore } from './config/events-store.js';
import { ConfigMapConfigSource } from './config/configmap-source.js';
import { FileConfigSource } from './config/file-source.js';
import type { ConfigSource } from './config/source.js';
import { Dispatcher } from './admission/dispatcher.js';
import { createKafka } from './kafka/client.js';
import { IssueRequestSender } from './kafka/issue-requests.js';
import { KafkaMonitor } from './kafka/kafka-monitor.js';
import { CouponsConsumer } from './kafka/coupons-consumer.js';
import { ResultsConsumer } from './kafka/results-consumer.js';
import { AdmissionAwareRoom } from './admission/admission-room.js';
import { readinessOf, timedCheck, type CheckResult, type ReadinessReport } from './http/health.js';
import { Identity } from './http/identity.js';
import { GateMetrics } from './metrics.js';
import { TicketSigner } from './queue/tickets.js';
import { PowDifficulty } from './pow/difficulty.js';
import { PowGuard } from './pow/pow-guard.js';
import type { WaitingRoom } from './queue/waiting-room.js';
import { connectRedis } from './redis/connect.js';
import { createRedisClient, createSubscriber, type RedisClient } from './redis/client.js';
import { GateScripts } from './redis/gate-scripts.js';
import { ChangePublisher } from './push/change-publisher.js';
import { PushHub } from './push/push-hub.js';
import {
  LocalStreamSlots,
  RedisStreamSlots,
  type ClientStreamSlots,
} from './push/client-stream-slots.js';
import type { GateSettings } from './settings.js';

export interface GateOptions {
  settings: GateSettings;
  logger?: Logger;
  /** The gate's clock for schedule phases (tests move it); Redis time drives the rate. */
  clock?: () => number;
  /** For EVENTS_CONFIGMAP; default: KUBECONFIG or in-cluster. */
  kubeConfig?: k8s.KubeConfig;
  /** Whether to run the dispatcher and the consumers (default true). */
  background?: boolean;
}

/** How long the public server's close waits for requests in flight before cutting connections. */
const CLOSE_GRACE_MS = 3_000;
/** Between attempts to connect to Kafka while it does not answer. */
const KAFKA_RETRY_MS = 2_000;
/** A stream slot of a gate that died stops counting against its client after this long. */
const STREAM_SLOT_LEASE_MS = 60_000;

/**
 * The whole gate, wired: Redis, Kafka, the config source, the dispatcher, the results
 * consumer and both HTTP servers. main.ts creates one from the environment; tests create
 * them in-process with their own settings.
 */
export class Gate {
  readonly logger: Logger;
  readonly metrics: GateMetrics;
  readonly events = new EventsStore();
  readonly redis: RedisClient;
  readonly scripts: GateScripts;
  readonly room: WaitingRoom;
  readonly tickets: TicketSigner;
  /** Proof of work on join, for the events that ask for it. */
  readonly pow: PowGuard;
  private readonly powDifficulty: PowDifficulty;
  readonly identity: Identity;
  readonly kafka: Kafka;
  readonly producer: Producer;
  readonly admin: Admin;
  readonly kafkaMonitor: KafkaMonitor;
  readonly dispatcher: Dispatcher;
  readonly results: ResultsConsumer;
  /** Follows the coupons' redemptions; undefined when GATE_COUPONS_ENABLED is false. */
  readonly coupons: CouponsConsumer | undefined;
  readonly configSource: ConfigSource;
  readonly changes: ChangePublisher;
  /** The push streams; undefined when GATE_PUSH_ENABLED is false. */
  readonly push: PushHub | undefined;
  /** The per-client bound on them; undefined when there is none. */
  private readonly streamSlots: ClientStreamSlots | undefined;
  private readonly clock: () => number;
  app!: FastifyInstance;
  adminApp!: FastifyInstance;
  private shuttingDown = false;
  private draining = false;
  /** Connecting to Kafka: start() waits for it a while, then lets it go on in the background. */
  private kafkaConnecting: Promise<void> | undefined;
  private readonly stopping = new AbortController();

  constructor(private readonly options: GateOptions) {
    const s = options.settings;
    this.logger = options.logger ?? pino(logOptions('gate', s.LOG_LEVEL));
    const clock = options.clock ?? Date.now;
    this.metrics = new GateMetrics({ clock });
    this.redis = createRedisClient(s);
    this.redis.on('error', (error) => this.logger.debug({ err: error }, 'Redis connection error'));
    this.scripts = new GateScripts(this.redis, {
      replicaWaitMs: s.REDIS_CLUSTER_REPLICA_WAIT_MS,
      onUnreplicated: () => this.metrics.redisUnreplicated.inc(),
    });
    // Published whether or not this replica streams: another one may.
    this.changes = new ChangePublisher(this.redis, this.logger, this.metrics);
    this.push = s.GATE_PUSH_ENABLED ? this.createPushHub(clock) : undefined;
    this.streamSlots =
      this.push && s.GATE_PUSH_MAX_STREAMS_PER_CLIENT > 0 ? this.createStreamSlots() : undefined;
    this.clock = clock;
    // The dispatcher is created below; the room asks it only once requests come.
    this.room = new AdmissionAwareRoom(
      () => this.dispatcher.pause(),
      this.scripts,
      this.events,
      clock,
      s.RESULTS_DEFAULT_RETENTION_SECONDS,
      s.GATE_COUPONS_ENABLED,
    );
    // Tickets expire by the wall clock, whatever clock the schedule follows in tests.
    this.tickets = TicketSigner.fromSettings(s);
    this.powDifficulty = new PowDifficulty(this.scripts, s.POW_SPIKE_REFRESH_MS);
    this.pow = new PowGuard(this.scripts, this.powDifficulty, this.metrics, {
      key: s.POW_HMAC_KEY ?? s.POW_HMAC_KEY_FILE,
      ...(s.POW_PREVIOUS_HMAC_KEYS ? { previousKeys: s.POW_PREVIOUS_HMAC_KEYS } : {}),
    });
    this.identity = Identity.fromSettings(s);
    this.kafka = createKafka({
      brokers: s.KAFKA_BROKERS,
      clientId: s.KAFKA_CLIENT_ID,
      logger: this.logger,
      // The monitor logs an outage once; kafkajs would log every reconnection attempt.
      quiet: () => this.kafkaMonitor.state.since < Date.now() - 5_000 && !this.kafkaMonitor.up,
      security: kafkaSecurity(s, (file) => readFileSync(file, 'utf8')),
    });
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.admin = this.kafka.admin();
    this.kafkaMonitor = new KafkaMonitor(
      {
        admin: this.admin,
        topic: s.TOPIC_ISSUE_REQUESTS,
        logger: this.logger,
        metrics: this.metrics,
      },
      { intervalMs: s.KAFKA_PROBE_INTERVAL_MS, timeoutMs: 2_000 },
    );
    this.dispatcher = new Dispatcher(
      {
        scripts: this.scripts,
        events: this.events,
        requests: new IssueRequestSender(
          this.producer,
          s.TOPIC_ISSUE_REQUESTS,
          s.KAFKA_SEND_TIMEOUT_MS,
          s.REQUEST_SIGNING_KEYS[0]!,
        ),
        kafka: this.kafkaMonitor,
        logger: this.logger,
        metrics: this.metrics,
        changes: this.changes,
        clock,
      },
      {
        intervalMs: s.DISPATCH_INTERVAL_MS,
        batchMax: s.DISPATCH_BATCH_MAX,
        burstSeconds: s.DISPATCH_BURST_SECONDS,
        overdueMs: s.ADMISSION_OVERDUE_MS,
        minRateFraction: s.ADMISSION_MIN_RATE_FRACTION,
        requeueIntervalMs: s.REQUEUE_INTERVAL_MS,
        holdAfterAdmitMs: s.DISPATCH_TEST_HOLD_AFTER_ADMIT_MS,
      },
    );
    this.results = new ResultsConsumer(
      {
        kafka: this.kafka,
        producer: this.producer,
        scripts: this.scripts,
        events: this.events,
        logger: this.logger,
        metrics: this.metrics,
        changes: this.changes,
      },
      {
        groupId: s.KAFKA_GROUP_ID,
        topic: s.TOPIC_ISSUE_RESULTS,
        deadLetterTopic: s.TOPIC_DEAD_LETTERS,
        sessionTimeoutMs: s.KAFKA_SESSION_TIMEOUT_MS,
        defaultRetentionSeconds: s.RESULTS_DEFAULT_RETENTION_SECONDS,
        recordChunk: s.RESULTS_RECORD_CHUNK,
        trust: { keys: s.REQUEST_SIGNING_KEYS, signatures: s.RESULT_SIGNATURES },
      },
    );
    this.coupons = s.GATE_COUPONS_ENABLED
      ? new CouponsConsumer(
          {
            kafka: this.kafka,
            producer: this.producer,
            scripts: this.scripts,
            events: this.events,
            logger: this.logger,
            metrics: this.metrics,
          },
          {
            groupId: s.GATE_COUPONS_GROUP_ID,
            topic: s.TOPIC_COUPONS,
            deadLetterTopic: s.TOPIC_DEAD_LETTERS,
            sessionTimeoutMs: s.KAFKA_SESSION_TIMEOUT_MS,
            defaultRetentionSeconds: s.RESULTS_DEFAULT_RETENTION_SECONDS,
          },
        )
      : undefined;
    // Per-event series follow the config: those of events that left it would report
    // their last values forever.
    this.events.on('change', (change) => {
      if (change.added.length + change.changed.length + change.removed.length === 0) return;
      this.metrics.applyConfig(this.events.all());
      this.powDifficulty.retain(this.events.all());
    });
    const sourceDeps = {
      store: this.events,
      logger: this.logger,
      onInvalid: () => this.metrics.configErrors.inc(),
      onApplied: () => {
        this.metrics.configEvents.set(this.events.size);
        this.metrics.configApplied.set(Date.now() / 1000);
      },
    };
    this.configSource = s.EVENTS_FILE
      ? new FileConfigSource(s.EVENTS_FILE, sourceDeps)
      : new ConfigMapConfigSource(s.EVENTS_CONFIGMAP!, sourceDeps, options.kubeConfig, {
          shards: s.EVENTS_CONFIG_SHARDS,
        });
  }

  private createPushHub(clock: () => number): PushHub {
    const s = this.options.settings;
    // Subscribed, a connection does nothing else; and a stream's wait is not a command's.
    const subscriber = createSubscriber(this.redis);
    subscriber.on('error', (error) =>
      this.logger.debug({ err: error }, 'Redis subscriber connection error'),
    );
    return new PushHub(
      { subscriber, logger: this.logger, metrics: this.metrics, clock },
      {
        maxStreams: s.GATE_PUSH_MAX_STREAMS,
        heartbeatMs: s.GATE_PUSH_HEARTBEAT_SECONDS * 1000,
        resyncMs: s.GATE_PUSH_RESYNC_SECONDS * 1000,
        retryMs: s.GATE_PUSH_RETRY_MS,
        readConcurrency: s.GATE_PUSH_READ_CONCURRENCY,
        tickMs: 500,
        maxPendingBytes: 256 * 1024,
      },
    );
  }

  private createStreamSlots(): ClientStreamSlots {
    const s = this.options.settings;
    const max = s.GATE_PUSH_MAX_STREAMS_PER_CLIENT;
    return s.RATE_LIMIT_STORE === 'redis'
      ? new RedisStreamSlots(this.redis, {
          max,
          namespace: s.RATE_LIMIT_NAMESPACE,
          leaseMs: STREAM_SLOT_LEASE_MS,
        })
      : new LocalStreamSlots(max);
  }

  private appDeps(): AppDeps {
    const s = this.options.settings;
    return {
      ...(this.push
        ? {
            push: {
              hub: this.push,
              clock: this.clock,
              ...(this.streamSlots ? { slots: this.streamSlots } : {}),
            },
          }
        : {}),
      room: this.room,
      identity: this.identity,
      tickets: this.tickets,
      pow: this.pow,
      metrics: this.metrics,
      logger: this.logger,
      health: { live: () => this.live(), ready: () => this.readiness() },
      drain: { draining: () => this.draining },
      options: {
        trustProxy: s.TRUST_PROXY,
        joinRateLimitMax: s.ENQUEUE_RATE_LIMIT_MAX,
        joinRateLimitWindowMs: s.ENQUEUE_RATE_LIMIT_WINDOW_MS,
        pollRateLimitMax: s.POLL_RATE_LIMIT_MAX,
        pollRateLimitWindowMs: s.POLL_RATE_LIMIT_WINDOW_MS,
        ...(s.RATE_LIMIT_STORE === 'redis'
          ? { rateLimitRedis: { redis: this.redis, namespace: s.RATE_LIMIT_NAMESPACE } }
          : {}),
        maxEventLoopDelayMs: s.OVERLOAD_MAX_EVENT_LOOP_DELAY_MS,
        maxHeapUsedBytes: s.OVERLOAD_MAX_HEAP_USED_BYTES,
        maxRssBytes: s.OVERLOAD_MAX_RSS_BYTES,
        retryAfterSeconds: s.OVERLOAD_RETRY_AFTER_SECONDS,
        ...(s.ADMIN_TOKEN ? { adminToken: s.ADMIN_TOKEN } : {}),
        ...(s.CORS_ORIGINS ? { corsOrigins: s.CORS_ORIGINS } : {}),
      },
    };
  }

  /**
   * Connects everything and starts work. `listen: false` builds the HTTP apps for
   * app.inject() without opening ports.
   */
  async start(options: { listen?: boolean } = {}): Promise<void> {
    const s = this.options.settings;
    const background = this.options.background ?? true;
    if (this.tickets.ephemeral)
      this.logger.warn('TICKET_SECRET is not set: signed tickets verify on this replica only');
    await connectRedis(this.redis, s);
    await this.configSource.start();
    if (!this.events.loaded)
      this.logger.error(`no valid events config from ${this.configSource.description} yet`);
    if (this.pow.ephemeral && [...this.events.all()].some((e) => PowGuard.required(e)))
      this.logger.warn(
        'POW_HMAC_KEY is not set: proof-of-work challenges verify on this replica only',
      );
    // The waiting room answers from Redis alone: without Kafka the gate still serves
    // (admission paused), and connects when Kafka comes.
    this.kafkaConnecting = this.connectKafka(background);
    const connected = await Promise.race([
      this.kafkaConnecting.then(() => true),
      sleep(s.KAFKA_CONNECT_WAIT_MS, this.stopping.signal).then(() => false),
    ]);
    if (!connected)
      this.logger.warn(
        { brokers: s.KAFKA_BROKERS, security: describeKafkaSecurity(s) },
        'Kafka does not answer: serving the waiting room with admission paused; connecting in the background',
      );
    if (background) this.dispatcher.start();
    this.push?.start();
    const deps = this.appDeps();
    this.app = await buildApp(deps);
    this.adminApp = await buildAdminApp(deps);
    if (options.listen ?? true) {
      await this.adminApp.listen({
        port: s.GATE_ADMIN_PORT,
        host: s.GATE_ADMIN_HOST ?? s.GATE_HOST,
      });
      const address = await this.app.listen({ port: s.GATE_PORT, host: s.GATE_HOST });
      this.logger.info({ address }, 'public API listening');
    } else {
      await Promise.all([this.app.ready(), this.adminApp.ready()]);
    }
    this.logger.info(
      {
        port: s.GATE_PORT,
        adminPort: s.GATE_ADMIN_PORT,
        config: this.configSource.description,
        identity: s.IDENTITY_MODE,
        events: this.events.size,
      },
      'gate started',
    );
  }

  /**
   * Kafka's part of starting, tried again until it succeeds or the gate stops: the
   * topics, the producer, the monitor (which lets the dispatcher send) and the
   * consumers. Each step is kept once done.
   */
  private async connectKafka(background: boolean): Promise<void> {
    const s = this.options.settings;
    const coupons = this.coupons;
    const steps: [string, () => Promise<void>][] = [
      ['admin', () => this.admin.connect()],
      [
        'topics',
        async () => {
          const created = await createMissingTopics(this.admin, s, [
            s.TOPIC_ISSUE_REQUESTS,
            s.TOPIC_ISSUE_RESULTS,
            s.TOPIC_DEAD_LETTERS,
            ...(coupons ? [s.TOPIC_COUPONS] : []),
          ]);
          if (created.length)
            this.logger.info(
              { topics: created, layout: describeKafkaTopics(s) },
              'created missing topics',
            );
        },
      ],
      ['producer', () => this.producer.connect()],
      ['monitor', async () => this.kafkaMonitor.start()],
      ...(background
        ? [['results', () => this.results.start()] as [string, () => Promise<void>]]
        : []),
      ...(background && coupons
        ? [['coupons', () => coupons.start()] as [string, () => Promise<void>]]
        : []),
    ];
    for (const [step, run] of steps) {
      for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
        try {
          await run();
          break;
        } catch (error) {
          this.logger[attempt === 1 ? 'warn' : 'debug'](
            { err: error, step, attempt },
            'Kafka not ready; trying again',
          );
          await sleep(KAFKA_RETRY_MS, this.stopping.signal);
        }
      }
    }
  }

  /**
   * Graceful stop: not ready and no new admissions (the other replicas admit); then,
   * for SHUTDOWN_DRAIN_MS, still answering everyone but closing each connection after
   * its answer, while the endpoints stop sending new ones here; then no new requests,
   * those in flight finish, and Kafka and Redis close. Shoppers admitted but not yet
   * answered stay in Redis and are answered through another replica's consumer (or
   * requeued at their deadline): nobody is lost.
   */
  async stop(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    const drainMs = this.options.settings.SHUTDOWN_DRAIN_MS;
    this.logger.info({ drainMs }, 'gate stopping');
    this.stopping.abort();
    await this.dispatcher.stop().catch(() => undefined);
    if (drainMs > 0 && this.app) {
      this.draining = true;
      // Streams reconnect now, through the Service, to a replica that stays.
      this.push?.drain();
      await new Promise((r) => setTimeout(r, drainMs));
    }
    // Open streams would hold the server's close forever.
    await this.push?.stop();
    this.streamSlots?.close();
    await this.closePublicServer();
    await this.kafkaConnecting?.catch(() => undefined);
    await Promise.allSettled([
      this.results.stop(),
      this.coupons?.stop(),
      this.configSource.stop(),
      this.kafkaMonitor.stop(),
    ]);
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
    await this.adminApp?.close().catch(() => undefined);
    await this.redis.quit().catch(() => this.redis.disconnect());
    this.logger.info('gate stopped');
  }

  /**
   * Closes the public server: requests in flight are answered, idle kept-alive
   * connections closed. A connection that sent no request at all (a client that
   * connected and went quiet, a keep-alive socket a client holds half open) would keep
   * it waiting for headersTimeout (a minute): after a grace period the rest is cut.
   */
  private async closePublicServer(): Promise<void> {
    if (!this.app) return;
    const closing = this.app.close().catch(() => undefined);
    const grace = new Promise<'late'>((r) => setTimeout(() => r('late'), CLOSE_GRACE_MS).unref());
    if ((await Promise.race([closing, grace])) === 'late') this.app.server.closeAllConnections();
    await closing;
  }

  /**
   * Alive while the process can work at all: nothing outside it (Redis, Kafka) fails
   * it, since a restart would not bring them back; the consumers restart themselves.
   */
  private live(): boolean {
    return true;
  }

  /** Ready to answer shoppers: Redis, a config, not shutting down. Kafka is shown, not required. */
  async readiness(): Promise<ReadinessReport> {
    const checks: Record<string, CheckResult> = {};
    checks.shutdown = this.shuttingDown ? { ok: false, message: 'shutting down' } : { ok: true };
    checks.config = this.events.loaded
      ? { ok: true, message: `${this.events.size} events from ${this.events.lastSource}` }
      : { ok: false, message: `no valid config from ${this.configSource.description} yet` };
    checks.redis = await timedCheck('Redis', () => this.redis.ping(), 1_000);
    checks.kafka = this.kafkaMonitor.check();
    if (this.options.background ?? true) {
      checks.results = this.results.check();
      if (this.coupons) checks.coupons = this.coupons.check();
    }
    return readinessOf(checks);
  }
}
