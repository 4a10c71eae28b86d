import type { Logger } from 'pino';
import { describeKubeError } from './kube/errors.js';
import { reconcileOutcomes, type ControllerMetrics, type ReconcileOutcome } from './metrics.js';
import type { ReconcileResult, Reconciler } from './reconciler.js';
import type { WorkQueue } from './work-queue.js';

/** controller-runtime's `result` label: `requeue` is "again at once", `requeue_after` later. */
function outcomeOf(result: ReconcileResult): ReconcileOutcome {
  const after = result.requeueAfterMs;
  if (after === undefined) return 'success';
  return after > 0 ? 'requeue_after' : 'requeue';
}

export interface ControllerOptions {
  /** The `controller` label of its metrics. */
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
    const { metrics, name: controller, workers } = this.options;
    // Every series present from the start (as controller-runtime's initMetrics): a rate
    // over a counter that appears at its first increment misses that increment.
    for (const result of reconcileOutcomes) metrics.reconcileTotal.inc({ controller, result }, 0);
    metrics.reconcileErrors.inc({ controller }, 0);
    metrics.maxConcurrentReconciles.set({ controller }, workers);
    // Not set to 0: the last term's workers may still be finishing theirs.
    metrics.activeWorkers.inc({ controller }, 0);
    for (let i = 0; i < workers; i++) this.workers.push(this.work());
  }

  /** Drops the keys that wait and lets the reconciles under way finish. */
  async stop(): Promise<void> {
    this.options.queue.shutdown();
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    const { queue, reconciler, metrics, logger, name: controller } = this.options;
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      metrics.activeWorkers.inc({ controller });
      const endTimer = metrics.reconcileTime.startTimer({ controller });
      try {
        const result = await reconciler.reconcile(key);
        queue.forget(key);
        if (result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
        metrics.reconcileTotal.inc({ controller, result: outcomeOf(result) });
      } catch (error) {
        metrics.reconcileTotal.inc({ controller, result: 'error' });
        metrics.reconcileErrors.inc({ controller });
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
        metrics.activeWorkers.dec({ controller });
        this.options.onDone?.(key);
      }
    }
  }
}
