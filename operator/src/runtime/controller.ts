import type { Logger } from 'pino';
import { describeKubeError } from './kube/errors.js';
import type { Reconciler } from './reconciler.js';
import type { WorkQueue } from './work-queue.js';

/** The reconcile metrics a controller reports, labelled with its name. */
export interface ControllerMetrics {
  reconciles: { inc(labels: { kind: string; result: 'success' | 'requeue' | 'error' }): void };
  reconcileErrors: { inc(labels: { kind: string }): void };
  reconcileDuration: { startTimer(labels: { kind: string }): () => void };
}

export interface ControllerOptions {
  /** The `kind` of its metrics. */
  name: string;
  queue: WorkQueue;
  reconciler: Reconciler;
  /** Keys reconciled at once; the queue never hands one key to two of them. */
  workers: number;
  logger: Logger;
  metrics: ControllerMetrics;
  /** After each reconcile of `key`, however it ended. */
  onDone?(key: string): void;
}

/**
 * controller-runtime's loop: workers take keys from the queue and reconcile them. Success
 * forgets the key's failures, so its next failure backs off from the start, and queues it
 * again when the result asks; failure queues it again after a backoff that grows with
 * each consecutive failure. A reconciler never touches the queue itself.
 */
export class Controller {
  private readonly workers: Promise<void>[] = [];

  constructor(private readonly options: ControllerOptions) {}

  get queue(): WorkQueue {
    return this.options.queue;
  }

  start(): void {
    for (let i = 0; i < this.options.workers; i++) this.workers.push(this.work());
  }

  /** Drops the keys that wait and lets the reconciles under way finish. */
  async stop(): Promise<void> {
    this.options.queue.shutdown();
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    const { queue, reconciler, metrics, logger, name: kind } = this.options;
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      const endTimer = metrics.reconcileDuration.startTimer({ kind });
      try {
        const result = await reconciler.reconcile(key);
        queue.forget(key);
        if (result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
        metrics.reconciles.inc({ kind, result: result.requeueAfterMs ? 'requeue' : 'success' });
      } catch (error) {
        metrics.reconciles.inc({ kind, result: 'error' });
        metrics.reconcileErrors.inc({ kind });
        if (!queue.isShutDown) {
          const retryInMs = queue.addRateLimited(key);
          logger.warn(
            { key, err: describeKubeError(error), attempt: queue.failuresOf(key), retryInMs },
            'reconcile failed; retrying',
          );
        }
      } finally {
        endTimer();
        queue.done(key);
        this.options.onDone?.(key);
      }
    }
  }
}
