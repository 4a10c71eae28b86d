import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Controller, type ControllerMetrics } from '../../src/runtime/controller.js';
import type { ReconcileResult } from '../../src/runtime/reconciler.js';
import { WorkQueue } from '../../src/runtime/work-queue.js';

/** A controller whose reconciler answers from `script`, one answer per call, in order. */
function controllerWith(script: (ReconcileResult | Error)[]) {
  const outcomes: string[] = [];
  const metrics: ControllerMetrics = {
    reconciles: { inc: ({ kind, result }) => outcomes.push(`${kind} ${result}`) },
    reconcileErrors: { inc: () => undefined },
    reconcileDuration: { startTimer: () => () => undefined },
  };
  const backoffs: number[] = [];
  const queue = new WorkQueue((attempt) => {
    backoffs.push(attempt);
    return 10 * attempt;
  });
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
        return next;
      },
    },
  });
  /** Resolves once `count` reconciles have ended. */
  const reconciled = (count: number) =>
    new Promise<void>((resolve) => waiting.push({ count, resolve }));
  return { controller, queue, calls, outcomes, backoffs, reconciled };
}

describe('the controller loop', () => {
  it('reconciles a key once and forgets it on success', async () => {
    const { controller, queue, calls, outcomes, reconciled } = controllerWith([{}]);
    controller.start();
    queue.add('a');
    await reconciled(1);
    expect(calls).toEqual(['a']);
    expect(outcomes).toEqual(['test success']);
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
    expect(outcomes).toEqual(['test error', 'test error', 'test success']);
    expect(backoffs).toEqual([1, 2]);
    expect(queue.failuresOf('a')).toBe(0);
    await controller.stop();
  });

  it('looks at a key again when the result asks', async () => {
    const { controller, queue, calls, outcomes, reconciled } = controllerWith([
      { requeueAfterMs: 20 },
      {},
    ]);
    controller.start();
    queue.add('a');
    await reconciled(2);
    expect(calls).toEqual(['a', 'a']);
    expect(outcomes).toEqual(['test requeue', 'test success']);
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
