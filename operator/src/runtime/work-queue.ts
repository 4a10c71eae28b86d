import type { Backoff } from './retry.js';
import type { QueueMetrics } from './work-queue-metrics.js';

/**
 * The controller-runtime work queue, in one file:
 * - a key waits at most once (adding it again while it waits changes nothing);
 * - a key is never handed to two workers at once: added while being processed, it is
 *   marked dirty and queued again when the worker is done with it;
 * - `addRateLimited` requeues a failed key after the backoff for its consecutive failures,
 *   counted until `forget` (on success);
 * - `addAfter` queues a key later (schedule boundaries, polling); the earliest request wins.
 * Instrumented as client-go's queue is: a key counts as added and in the depth from the
 * moment it waits (also while its previous processing ends) until a worker gets it; every
 * delayed add is a retry.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  /** Keys waiting in `queue` or to be queued again once processing ends. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private stopped = false;

  constructor(
    private readonly backoff: Backoff,
    private readonly metrics?: QueueMetrics,
  ) {}

  add(key: string): void {
    if (this.stopped || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.metrics?.add(key);
    if (!this.processing.has(key)) this.enqueue(key);
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    this.metrics?.retry();
    const at = Date.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    // A pending requeue must not keep a stopping process alive.
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Requeues after the backoff for this key's consecutive failures, this one included. */
  addRateLimited(key: string): number {
    const attempt = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, attempt);
    const delay = this.backoff(attempt);
    this.addAfter(key, delay);
    return delay;
  }

  /** The key succeeded: its next failure starts the backoff from the beginning. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The next key to process, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.stopped) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key === undefined) return new Promise((resolve) => this.waiters.push(resolve));
    this.handOut(key);
    return Promise.resolve(key);
  }

  /** The worker finished `key`; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    this.metrics?.done(key);
    if (!this.stopped && this.dirty.has(key)) this.enqueue(key);
  }

  /** Keys waiting to be processed (not counting delayed ones). */
  get length(): number {
    return this.queue.length;
  }

  get processingCount(): number {
    return this.processing.size;
  }

  get delayedCount(): number {
    return this.timers.size;
  }

  get isShutDown(): boolean {
    return this.stopped;
  }

  /** Drops everything waiting and wakes every idle worker with `undefined`. */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.queue.length = 0;
    this.metrics?.shutdown(this.dirty);
    this.dirty.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }

  /** A dirty key not being processed: to an idle worker, or into the line. */
  private enqueue(key: string): void {
    const waiter = this.waiters.shift();
    if (!waiter) {
      this.queue.push(key);
      return;
    }
    this.handOut(key);
    waiter(key);
  }

  private handOut(key: string): void {
    this.dirty.delete(key);
    this.processing.add(key);
    this.metrics?.get(key);
  }
}
