import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Controller } from '../../src/runtime/controller.js';
import { createRuntimeMetrics } from '../../src/runtime/metrics.js';
import type { ReconcileResult } from '../../src/runtime/reconciler.js';
import { WorkQueue } from '../../src/runtime/work-queue.js';
import { scrape, valueOf } from '../support/metrics.js';

/**
 * A controller whose reconciler answers from `script`, one answer per call, in order
 * (a function is called with the key and may hold the reconcile open).
 */
function controllerWith(
  script: (ReconcileResult | Error | ((key: string) => Promise<ReconcileResult>))[],
) {
  const registry = new Registry();
  const metrics = createRuntimeMetrics(registry);
  const backoffs: number[] = [];
  const queue = new WorkQueue((attempt) => {
    backoffs.push(attempt);
    return 10 * attempt;
  }, metrics.workQueue.forQueue('test'));
  const calls: string[] = [];
  let done = 0;
  const waiting: { count: number; resolve: () => void }[] = [];
  const controller = new Controller({
    name: 'test',
    queue,
    workers: 2,
    logger: pino({ level: 'silent' }),
    metrics,
    onDone: () => {
      done += 1;
      for (const w of waiting) if (w.count === done) w.resolve();
    },
    reconciler: {
      reconcile: async (key) => {
        calls.push(key);
        const next = script.shift() ?? {};
        if (next instanceof Error) throw next;
        return typeof next === 'function' ? next(key) : next;
      },
    },
  });
  /** Resolves once `count` reconciles have ended. */
  const reconciled = (count: number) =>
    new Promise<void>((resolve) => waiting.push({ count, resolve }));
  /** controller_runtime_reconcile_total by result, as scraped. */
  const outcomes = async () => {
    const samples = await scrape(registry);
    const count = (result: string) =>
      valueOf(samples, 'controller_runtime_reconcile_total', { controller: 'test', result });
    return {
      success: count('success'),
      error: count('error'),
      requeue: count('requeue'),
      requeue_after: count('requeue_after'),
      errors: valueOf(samples, 'controller_runtime_reconcile_errors_total', { controller: 'test' }),
    };
  };
  return { controller, queue, calls, outcomes, backoffs, reconciled, registry };
}

describe('the controller loop', () => {
  it('reconciles a key once and forgets it on success', async () => {
    const { controller, queue, calls, outcomes, reconciled } = controllerWith([{}]);
    controller.start();
    queue.add('a');
    await reconciled(1);
    expect(calls).toEqual(['a']);
    expect(await outcomes()).toEqual({
      success: 1,
      error: 0,
      requeue: 0,
      requeue_after: 0,
      errors: 0,
    });
    expect(queue.failuresOf('a')).toBe(0);
    await controller.stop();
  });

  it('retries a failing key after a backoff that grows, and forgets its failures on success', async () => {
    const { controller, queue, calls, outcomes, backoffs, reconciled } = controllerWith([
      new Error('one'),
      new Error('two'),
      {},
    ]);
    controller.start();
    queue.add('a');
    await reconciled(3);
    expect(calls).toEqual(['a', 'a', 'a']);
    expect(await outcomes()).toMatchObject({ success: 1, error: 2, errors: 2 });
    expect(backoffs).toEqual([1, 2]);
    expect(queue.failuresOf('a')).toBe(0);
    await controller.stop();
  });

  it('looks at a key again when the result asks, later or at once', async () => {
    const { controller, queue, calls, outcomes, reconciled } = controllerWith([
      { requeueAfterMs: 20 },
      { requeueAfterMs: 0 },
      {},
    ]);
    controller.start();
    queue.add('a');
    await reconciled(3);
    expect(calls).toEqual(['a', 'a', 'a']);
    expect(await outcomes()).toEqual({
      success: 1,
      error: 0,
      requeue: 1,
      requeue_after: 1,
      errors: 0,
    });
    await controller.stop();
  });

  it('reports its workers, busy and configured, and how long reconciles take', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const { controller, queue, registry, reconciled } = controllerWith([
      async () => {
        started();
        await held;
        return {};
      },
    ]);
    controller.start();
    const before = await scrape(registry);
    expect(valueOf(before, 'controller_runtime_max_concurrent_reconciles')).toBe(2);
    expect(valueOf(before, 'controller_runtime_active_workers')).toBe(0);
    queue.add('a');
    await running;
    await new Promise((r) => setTimeout(r, 30));
    const during = await scrape(registry);
    expect(valueOf(during, 'controller_runtime_active_workers', { controller: 'test' })).toBe(1);
    expect(valueOf(during, 'workqueue_longest_running_processor_seconds')).toBeGreaterThan(0.02);
    release();
    await reconciled(1);
    const after = await scrape(registry);
    expect(valueOf(after, 'controller_runtime_active_workers')).toBe(0);
    expect(valueOf(after, 'workqueue_longest_running_processor_seconds')).toBe(0);
    expect(valueOf(after, 'controller_runtime_reconcile_time_seconds_count')).toBe(1);
    expect(valueOf(after, 'controller_runtime_reconcile_time_seconds_sum')).toBeGreaterThan(0.02);
    expect(
      valueOf(after, 'controller_runtime_reconcile_time_seconds_bucket', { le: '0.005' }),
    ).toBe(0);
    expect(valueOf(after, 'controller_runtime_reconcile_time_seconds_bucket', { le: '60' })).toBe(
      1,
    );
    await controller.stop();
  });

  it('reconciles nothing once stopped', async () => {
    const { controller, queue, calls } = controllerWith([]);
    await controller.stop();
    controller.start();
    queue.add('a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([]);
  });
});
