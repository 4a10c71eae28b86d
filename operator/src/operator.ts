import * as k8s from '@kubernetes/client-node';
import { ConditionType, backoffDelay, eventIdOf, type CouponEvent } from '@rediclaim/core';
import type { Logger } from 'pino';
import type { Health } from './app.js';
import { createClients, createKafkaTopics } from './clients.js';
import { createMetrics, type Metrics } from './metrics.js';
import { RejectReason } from './reconcilers/couponevent/acceptance.js';
import { couponEventsPath } from './reconcilers/couponevent/couponevent-api.js';
import {
  couponEventIndexes,
  sameEventId,
  sameNamespace,
} from './reconcilers/couponevent/indexes.js';
import type { KafkaTopics } from './reconcilers/kafka/topics.js';
import type { OperatorClients } from './reconcilers/reconcile-context.js';
import { Informer, keyOf } from './runtime/informer.js';
import { tuneKubeConfig } from './runtime/kube/connections.js';
import { LeaderElector } from './runtime/leader-election.js';
import type { Settings } from './settings.js';
import { Term } from './term.js';

/** The operator never reads managedFields; at 10,000 events they were half the cache. */
function withoutManagedFields(event: CouponEvent): CouponEvent {
  const metadata = event.metadata as CouponEvent['metadata'] & { managedFields?: unknown };
  if (metadata.managedFields === undefined) return event;
  const { managedFields: _dropped, ...rest } = metadata;
  return { ...event, metadata: rest };
}

function mayBeRefusedByQuota(event: CouponEvent): boolean {
  const status = event.status;
  return (
    status?.observedGeneration !== event.metadata.generation ||
    !!status?.conditions?.some(
      (c) => c.type === ConditionType.Accepted && c.reason === RejectReason.NamespaceQuotaExceeded,
    )
  );
}

/** A deadline for each API call (watches excepted): a hung call fails and is retried. */
const API_TIMEOUT_MS = 30_000;
/** Between attempts of a failed list or watch. */
const WATCH_BACKOFF = { baseMs: 250, capMs: 10_000 };

export interface OperatorOptions {
  settings: Settings;
  kubeConfig: k8s.KubeConfig;
  logger: Logger;
  metrics?: Metrics;
  /** For tests: the informer's watch timeout range, seconds (default 300-600). */
  watchTimeoutSeconds?: [number, number];
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
  private readonly clients: OperatorClients;
  private readonly kafka: KafkaTopics | undefined;
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
      backoff: (attempt) => backoffDelay(attempt, WATCH_BACKOFF),
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      onRestart: (reason) => metrics.informerRestarts.inc({ reason }),
      indexes: couponEventIndexes,
      transform: withoutManagedFields,
      handlers: {
        onAdd: (event) => this.changed(event),
        onUpdate: (_previous, event) => {
          // The echo of our own write (finalizer, status) changes nothing we decide on.
          if (!this.term?.isEcho(event)) this.changed(event);
        },
        onDelete: (event) => this.changed(event),
        onResync: () => this.term?.resync(),
      },
    });
    this.clients = createClients({
      settings,
      kubeConfig: kc,
      logger,
      cache: this.informer,
      metrics,
    });
    this.kafka = createKafkaTopics(settings, logger);
    this.elector = new LeaderElector({
      api: kc.makeApiClient(k8s.CoordinationV1Api),
      namespace: settings.PLATFORM_NAMESPACE,
      name: settings.LEASE_NAME,
      identity: settings.POD_NAME,
      leaseDurationMs: settings.LEASE_DURATION_SECONDS * 1000,
      renewDeadlineMs: settings.LEASE_RENEW_DEADLINE_SECONDS * 1000,
      retryPeriodMs: settings.LEASE_RETRY_PERIOD_SECONDS * 1000,
      logger,
      status: metrics.leaderElectionStatus,
      onStartedLeading: () => this.startTerm(),
      onStoppedLeading: () => void this.stopTerm(),
    });
    metrics.setCouponEventSource(() => this.informer.list());
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  get ready(): boolean {
    return this.informer.hasSynced();
  }

  /** Alive and not wedged: the informer makes progress, and a leader's queues move. */
  health(): Health {
    const problems: string[] = [];
    const silentFor = Date.now() - this.informer.lastActivityAt;
    // A watch lasts at most 10 min and a dead one is cut 30 s after; retries are ≤ 10 s apart.
    if (silentFor > 12 * 60_000)
      problems.push(
        `the CouponEvent informer has made no progress for ${Math.round(silentFor / 1000)} s`,
      );
    const term = this.term;
    if (term && term.queueLength > 0 && Date.now() - term.lastProgressAt > 5 * 60_000)
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
    await this.clients.recorder.flush();
    await this.kafka?.close();
  }

  private changed(event: CouponEvent): void {
    const term = this.term;
    if (!term) return;
    term.enqueue(keyOf(event));
    // Events claiming the same id are judged against each other: wake the others too;
    // and those of the namespace its quota refused (or may be refusing right now, their
    // status not written yet), whose place this change may free.
    const others = sameEventId(this.informer, eventIdOf(event));
    if (this.options.settings.MAX_EVENTS_PER_NAMESPACE)
      others.push(
        ...sameNamespace(this.informer, event.metadata.namespace ?? '').filter(mayBeRefusedByQuota),
      );
    for (const other of others)
      if (other.metadata.uid !== event.metadata.uid) term.enqueue(keyOf(other));
  }

  private startTerm(): void {
    const term = new Term(this.clients, this.kafka);
    this.term = term;
    this.metrics.leaderTransitions.inc({ to: 'leader' });
    this.termStart = term.run().catch((error: unknown) => {
      this.options.logger.error({ err: error }, 'starting the reconcile loop failed');
    });
  }

  private async stopTerm(): Promise<void> {
    const term = this.term;
    if (!term) return;
    this.term = undefined;
    this.metrics.leaderTransitions.inc({ to: 'follower' });
    await term.stop();
    await this.termStart;
  }
}
