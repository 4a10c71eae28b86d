import * as k8s from '@kubernetes/client-node';
import { backoffDelay, eventIdOf, sleep, type CouponEvent } from '@rediclaim/core';
import type { Logger } from 'pino';
import { EventsConfigMap } from './config-map.js';
import { EventRecorder } from './events.js';
import { GateClient } from './gate-client.js';
import { Informer, keyOf } from './informer.js';
import { IssuerScaler } from './issuer-scale.js';
import { KafkaTopics } from './kafka-partitions.js';
import { CouponEventWriter, couponEventsPath } from './kube/couponevents.js';
import { tuneKubeConfig } from './kube/connections.js';
import { describeKubeError } from './kube/errors.js';
import { LeaderElector } from './leader-election.js';
import { createMetrics, type Metrics, type ReconcileKind } from './metrics.js';
import { PlatformReconciler } from './platform.js';
import type { ReconcileContext, ReconcileResult } from './reconcile-context.js';
import { CouponEventReconciler } from './reconciler.js';
import type { Settings } from './settings.js';
import { KAFKA_KEY, PLATFORM_KEY, PlatformState } from './state.js';
import { WorkQueue } from './work-queue.js';

export const CONTROLLER_NAME = 'rediclaim.io/operator';
/** A deadline for each API call (watches excepted): a hung call fails and is retried. */
const API_TIMEOUT_MS = 30_000;
/** The platform render runs at most this often (see Term.enqueue). */
const PLATFORM_MIN_INTERVAL_MS = 100;
/** During a term's first pass, the platform still renders this often, to show progress. */
const FIRST_PASS_RENDER_MS = 2_000;
const FIELD_MANAGER = 'rediclaim-operator';

export interface OperatorOptions {
  settings: Settings;
  kubeConfig: k8s.KubeConfig;
  logger: Logger;
  metrics?: Metrics;
  /** For tests: the informer's watch timeout range, seconds (default 300-600). */
  watchTimeoutSeconds?: [number, number];
}

export interface Health {
  ok: boolean;
  problems: string[];
}

/**
 * One leadership term: a fresh work queue, fresh state seeded from the ConfigMap, and
 * the workers. Ends when leadership is lost or the operator stops; nothing carries over.
 */
class Term {
  readonly queue: WorkQueue;
  readonly state = new PlatformState();
  private readonly workers: Promise<void>[] = [];
  private readonly stopped = new AbortController();
  private readonly events: CouponEventReconciler;
  private readonly platform: PlatformReconciler;
  private verifyNext = true;
  private lastPlatformAt = 0;
  /** Events not yet reconciled in this term; the platform waits for them (see enqueue). */
  private readonly firstPass = new Set<string>();
  private platformWanted = false;
  private lastVerifyAt = 0;
  lastProgressAt = Date.now();

  constructor(
    private readonly ctxBase: Omit<ReconcileContext, 'state' | 'enqueue' | 'assertLeading'>,
    private readonly kafka: KafkaTopics | undefined,
  ) {
    this.queue = new WorkQueue({ baseMs: 100, capMs: 60_000 });
    const ctx: ReconcileContext = {
      ...ctxBase,
      state: this.state,
      enqueue: (key) => this.enqueue(key),
      assertLeading: () => {
        if (this.stopped.signal.aborted) throw new Error('no longer the leader: not writing');
      },
    };
    this.events = new CouponEventReconciler(ctx);
    this.platform = new PlatformReconciler(ctx);
  }

  async run(): Promise<void> {
    const { cache, logger, settings } = this.ctxBase;
    await cache.waitForSync();
    // The ConfigMap is the record of what was served: read it before judging anything.
    for (let attempt = 1; !this.stopped.signal.aborted; attempt++) {
      try {
        await this.platform.seed();
        break;
      } catch (error) {
        const delay = backoffDelay(attempt, { baseMs: 250, capMs: 10_000 });
        logger.warn(
          { err: describeKubeError(error), retryInMs: delay },
          'reading the events ConfigMap failed',
        );
        await sleep(delay, this.stopped.signal);
      }
    }
    if (this.stopped.signal.aborted) return;
    for (const event of cache.list()) this.firstPass.add(keyOf(event));
    this.lastPlatformAt = Date.now();
    this.resync();
    for (let i = 0; i < settings.RECONCILE_CONCURRENCY; i++) this.workers.push(this.work());
  }

  /**
   * Queues a key. The platform render is rate-limited to one pass per
   * PLATFORM_MIN_INTERVAL_MS: a burst (a cold start, a kubectl apply of many events)
   * becomes a few renders of the whole set rather than one per event, while a lone
   * change still renders at once.
   */
  enqueue(key: string): void {
    if (key !== PLATFORM_KEY) return this.queue.add(key);
    // A term's first pass over every event renders once at its end, not per event.
    if (this.firstPass.size > 0 && Date.now() - this.lastPlatformAt < FIRST_PASS_RENDER_MS) {
      this.platformWanted = true;
      return;
    }
    const wait = this.lastPlatformAt + PLATFORM_MIN_INTERVAL_MS - Date.now();
    if (wait > 0) this.queue.addAfter(key, wait);
    else this.queue.add(key);
  }

  /** Everything again: each event, the platform (checking the ConfigMap for drift), Kafka. */
  resync(): void {
    this.verifyNext = true;
    this.queue.add(PLATFORM_KEY);
    if (this.kafka) this.queue.add(KAFKA_KEY);
    for (const event of this.ctxBase.cache.list()) this.queue.add(keyOf(event));
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    this.queue.shutdown();
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    const { metrics, logger } = this.ctxBase;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const kind: ReconcileKind =
        key === PLATFORM_KEY ? 'platform' : key === KAFKA_KEY ? 'kafka' : 'couponevent';
      const endTimer = metrics.reconcileDuration.startTimer({ kind });
      try {
        const result = await this.reconcile(key, kind);
        this.queue.forget(key);
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
        metrics.reconciles.inc({ kind, result: result.requeueAfterMs ? 'requeue' : 'success' });
      } catch (error) {
        metrics.reconciles.inc({ kind, result: 'error' });
        metrics.reconcileErrors.inc({ kind });
        if (kind === 'kafka') metrics.kafkaErrors.inc();
        if (!this.queue.isShutDown) {
          const retryInMs = this.queue.addRateLimited(key);
          logger.warn(
            { key, err: describeKubeError(error), attempt: this.queue.failuresOf(key), retryInMs },
            'reconcile failed; retrying',
          );
        }
      } finally {
        endTimer();
        this.lastProgressAt = Date.now();
        this.queue.done(key);
        if (this.firstPass.delete(key) && this.firstPass.size === 0 && this.platformWanted) {
          this.platformWanted = false;
          this.queue.add(PLATFORM_KEY);
        }
      }
    }
  }

  private async reconcile(key: string, kind: ReconcileKind): Promise<ReconcileResult> {
    if (kind === 'couponevent') return this.events.reconcile(key);
    if (kind === 'platform') {
      // Once per PLATFORM_RESYNC_SECONDS the ConfigMap is read back to repair drift;
      // otherwise we trust what we last wrote, so an apply reaches the gate in one request.
      const verify =
        this.verifyNext ||
        Date.now() - this.lastVerifyAt >= this.ctxBase.settings.PLATFORM_RESYNC_SECONDS * 1000;
      this.verifyNext = false;
      if (verify) this.lastVerifyAt = Date.now();
      this.lastPlatformAt = Date.now();
      try {
        return await this.platform.reconcile({ verify });
      } catch (error) {
        this.verifyNext = true;
        throw error;
      }
    }
    const changes = await this.kafka!.ensure();
    for (const topic of changes.created)
      this.ctxBase.logger.info({ topic }, 'created a Kafka topic');
    for (const r of changes.raised)
      this.ctxBase.logger.info(r, 'raised the partitions of a Kafka topic');
    return { requeueAfterMs: this.ctxBase.settings.RESYNC_SECONDS * 1000 };
  }
}

/**
 * The operator: an informer on CouponEvents in every replica (followers stay warm and
 * ready), leader election, and while leading, a term of reconciles. `main.ts` only
 * wires this to the process; tests run it in-process.
 */
export class Operator {
  readonly metrics: Metrics;
  private readonly informer: Informer<CouponEvent>;
  private readonly elector: LeaderElector;
  private readonly recorder: EventRecorder;
  private readonly kafka: KafkaTopics | undefined;
  private readonly ctxBase: Omit<ReconcileContext, 'state' | 'enqueue' | 'assertLeading'>;
  private term: Term | undefined;
  private termStart: Promise<void> | undefined;
  private started = false;

  constructor(private readonly options: OperatorOptions) {
    const { settings, logger } = options;
    const kc = tuneKubeConfig(options.kubeConfig, API_TIMEOUT_MS);
    this.metrics = options.metrics ?? createMetrics();
    const metrics = this.metrics;
    this.informer = new Informer<CouponEvent>({
      kubeConfig: kc,
      pathFor: couponEventsPath,
      namespaces: settings.WATCH_NAMESPACES,
      logger,
      resyncMs: settings.RESYNC_SECONDS * 1000,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      onRestart: (reason) => metrics.informerRestarts.inc({ reason }),
      handlers: {
        onAdd: (event) => this.changed(event),
        onUpdate: (_previous, event) => {
          // The echo of our own write (finalizer, status) changes nothing we decide on.
          const echo =
            event.metadata.resourceVersion !== undefined &&
            this.term?.state.ownWrites.get(keyOf(event)) === event.metadata.resourceVersion;
          if (!echo) this.changed(event);
        },
        onDelete: (event) => this.changed(event),
        onResync: () => this.term?.resync(),
      },
    });
    this.recorder = new EventRecorder(kc.makeApiClient(k8s.EventsV1Api), {
      controller: CONTROLLER_NAME,
      instance: settings.POD_NAME,
      logger,
    });
    this.kafka = settings.KAFKA_BROKERS
      ? new KafkaTopics({
          brokers: settings.KAFKA_BROKERS,
          clientId: settings.KAFKA_CLIENT_ID,
          topics: [settings.TOPIC_ISSUE_REQUESTS, settings.TOPIC_ISSUE_RESULTS],
          minPartitions: settings.ISSUER_MAX_REPLICAS,
          defaultPartitions: settings.TOPIC_PARTITIONS,
          logger,
        })
      : undefined;
    if (!this.kafka) logger.warn('KAFKA_BROKERS is not set: Kafka partitions are not managed');
    this.ctxBase = {
      settings,
      logger,
      cache: this.informer,
      writer: new CouponEventWriter(kc.makeApiClient(k8s.CustomObjectsApi), FIELD_MANAGER),
      configMap: new EventsConfigMap(
        kc.makeApiClient(k8s.CoreV1Api),
        settings.PLATFORM_NAMESPACE,
        settings.EVENTS_CONFIGMAP_NAME,
      ),
      scaler: new IssuerScaler(
        kc.makeApiClient(k8s.AppsV1Api),
        settings.PLATFORM_NAMESPACE,
        settings.ISSUER_DEPLOYMENT_NAME,
      ),
      gate: new GateClient(
        settings.GATE_ADMIN_URL,
        settings.GATE_TIMEOUT_SECONDS * 1000,
        settings.GATE_ADMIN_TOKEN,
      ),
      recorder: this.recorder,
      metrics,
    };
    this.elector = new LeaderElector({
      api: kc.makeApiClient(k8s.CoordinationV1Api),
      namespace: settings.PLATFORM_NAMESPACE,
      name: settings.LEASE_NAME,
      identity: settings.POD_NAME,
      leaseDurationMs: settings.LEASE_DURATION_SECONDS * 1000,
      renewDeadlineMs: settings.LEASE_RENEW_DEADLINE_SECONDS * 1000,
      retryPeriodMs: settings.LEASE_RETRY_PERIOD_SECONDS * 1000,
      logger,
      onStartedLeading: () => this.startTerm(),
      onStoppedLeading: () => void this.stopTerm(),
    });
    metrics.setQueueDepthSource(() => this.term?.queue.length ?? 0);
    metrics.setPhaseSource(() => this.informer.list().map((e) => e.status?.phase ?? 'Unknown'));
    metrics.leader.set(0);
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  get ready(): boolean {
    return this.informer.hasSynced();
  }

  /** Alive and not wedged: the informer makes progress, and a leader's queue moves. */
  health(): Health {
    const problems: string[] = [];
    const silentFor = Date.now() - this.informer.lastActivityAt;
    // A watch lasts at most 10 min and a dead one is cut 30 s after; retries are ≤ 10 s apart.
    if (silentFor > 12 * 60_000)
      problems.push(
        `the CouponEvent informer has made no progress for ${Math.round(silentFor / 1000)} s`,
      );
    const term = this.term;
    if (term && term.queue.length > 0 && Date.now() - term.lastProgressAt > 5 * 60_000)
      problems.push('the work queue has not moved for 5 minutes');
    return { ok: problems.length === 0, problems };
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.informer.start();
    this.elector.start();
  }

  /** Graceful: stop acting, release the lease (a successor starts at once), stop watching. */
  async stop(): Promise<void> {
    // The work stops before the lease is released: a successor never overlaps with us.
    await this.stopTerm();
    await this.elector.stop({ release: true });
    await this.informer.stop();
    await this.recorder.flush();
    await this.kafka?.close();
  }

  private changed(event: CouponEvent): void {
    const term = this.term;
    if (!term) return;
    term.enqueue(keyOf(event));
    // Events claiming the same id are judged against each other: wake the others too.
    const id = eventIdOf(event);
    for (const other of this.informer.list())
      if (other.metadata.uid !== event.metadata.uid && eventIdOf(other) === id)
        term.enqueue(keyOf(other));
  }

  private startTerm(): void {
    const term = new Term(this.ctxBase, this.kafka);
    this.term = term;
    this.metrics.leader.set(1);
    this.metrics.leaderTransitions.inc({ to: 'leader' });
    this.termStart = term.run().catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'starting the reconcile loop failed');
    });
  }

  private async stopTerm(): Promise<void> {
    const term = this.term;
    if (!term) return;
    this.term = undefined;
    this.metrics.leader.set(0);
    this.metrics.leaderTransitions.inc({ to: 'follower' });
    await term.stop();
    await this.termStart;
  }
}
