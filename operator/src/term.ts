import { backoffDelay, sleep } from '@rediclaim/core';
import type { ReconcileKind } from './metrics.js';
import { CouponEventReconciler } from './reconcilers/couponevent/reconciler.js';
import { KafkaReconciler } from './reconcilers/kafka/reconciler.js';
import type { KafkaTopics } from './reconcilers/kafka/topics.js';
import { PlatformReconciler } from './reconcilers/platform/reconciler.js';
import { RenderCadence } from './reconcilers/platform/render-cadence.js';
import { seedFromConfigMap } from './reconcilers/platform/seed.js';
import type { OperatorClients, ReconcileContext } from './reconcilers/reconcile-context.js';
import { ServedEvents } from './reconcilers/served-events.js';
import { Controller } from './runtime/controller.js';
import { keyOf, type KubeObject } from './runtime/informer.js';
import { describeKubeError } from './runtime/kube/errors.js';
import { OwnWrites } from './runtime/own-writes.js';
import type { Reconciler } from './runtime/reconciler.js';
import { WorkQueue } from './runtime/work-queue.js';

/** A failed reconcile is retried after this backoff (per key, growing with its failures). */
const RECONCILE_BACKOFF = { baseMs: 100, capMs: 60_000 };
/** Between attempts to read the ConfigMap shards when a term starts. */
const SEED_BACKOFF = { baseMs: 250, capMs: 10_000 };

/**
 * One leadership term: fresh queues, a fresh hand-off seeded from the ConfigMaps, and a
 * controller per reconciler (CouponEvents, the platform, Kafka). Ends when leadership is
 * lost or the operator stops; nothing carries over.
 */
export class Term {
  lastProgressAt = Date.now();
  private readonly ownWrites = new OwnWrites();
  private readonly stopped = new AbortController();
  private readonly ctx: ReconcileContext;
  private readonly cadence: RenderCadence;
  private readonly events: Controller;
  private readonly kafka: Controller | undefined;
  private readonly controllers: Controller[];

  constructor(clients: OperatorClients, topics: KafkaTopics | undefined) {
    const { settings, metrics } = clients;
    /** A fresh queue named after its controller (the workqueue_* metrics' `name`). */
    const newQueue = (kind: ReconcileKind) =>
      new WorkQueue(
        (attempt) => backoffDelay(attempt, RECONCILE_BACKOFF),
        metrics.workQueue.forQueue(kind),
      );
    const platformQueue = newQueue('platform');
    this.cadence = new RenderCadence(platformQueue, settings.PLATFORM_RESYNC_SECONDS * 1000);
    const eventQueue = newQueue('couponevent');
    this.ctx = {
      ...clients,
      served: new ServedEvents(() => this.cadence.request()),
      ownWrites: this.ownWrites,
      enqueue: (key) => eventQueue.add(key),
      assertLeading: () => {
        if (this.stopped.signal.aborted) throw new Error('no longer the leader: not writing');
      },
    };
    this.events = this.controller('couponevent', eventQueue, new CouponEventReconciler(this.ctx), {
      workers: settings.RECONCILE_CONCURRENCY,
      onDone: (key) => this.cadence.reconciled(key),
    });
    const platform = new PlatformReconciler(this.ctx, this.cadence);
    this.kafka =
      topics && this.controller('kafka', newQueue('kafka'), new KafkaReconciler(topics, clients));
    this.controllers = [
      this.events,
      this.controller('platform', platformQueue, platform),
      ...(this.kafka ? [this.kafka] : []),
    ];
  }

  async run(): Promise<void> {
    const { cache, logger } = this.ctx;
    await cache.waitForSync();
    // The ConfigMaps are the record of what was served: read them before judging anything.
    for (let attempt = 1; !this.stopped.signal.aborted; attempt++) {
      try {
        await seedFromConfigMap(this.ctx);
        break;
      } catch (error) {
        const delay = backoffDelay(attempt, SEED_BACKOFF);
        logger.warn(
          { err: describeKubeError(error), retryInMs: delay },
          'reading the events ConfigMaps failed',
        );
        await sleep(delay, this.stopped.signal);
      }
    }
    if (this.stopped.signal.aborted) return;
    this.cadence.startFirstPass(cache.list().map(keyOf));
    this.resync();
    for (const controller of this.controllers) controller.start();
  }

  /** A CouponEvent changed. */
  enqueue(key: string): void {
    this.events.queue.add(key);
  }

  /** Whether this watch event only carries our own last write back. */
  isEcho(object: KubeObject): boolean {
    return this.ownWrites.isEcho(object);
  }

  /** Everything again: the platform (reading the ConfigMaps back), Kafka, each event. */
  resync(): void {
    this.cadence.resync();
    this.kafka?.queue.add(KafkaReconciler.key);
    for (const event of this.ctx.cache.list()) this.events.queue.add(keyOf(event));
  }

  /** Keys waiting in the queues (not counting delayed ones). */
  get queueLength(): number {
    return this.controllers.reduce((sum, c) => sum + c.queue.length, 0);
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    await Promise.all(this.controllers.map((c) => c.stop()));
  }

  private controller(
    kind: ReconcileKind,
    queue: WorkQueue,
    reconciler: Reconciler,
    { workers = 1, onDone }: { workers?: number; onDone?: (key: string) => void } = {},
  ): Controller {
    const { logger, metrics } = this.ctx;
    return new Controller({
      name: kind,
      queue,
      reconciler,
      workers,
      logger,
      metrics,
      onDone: (key) => {
        this.lastProgressAt = Date.now();
        onDone?.(key);
      },
    });
  }
}
