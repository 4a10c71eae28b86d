import { describe, expect, it } from '@jest/globals';
import { backoffDelay } from '@rediclaim/core';
import { WorkQueue } from '../../src/runtime/work-queue.js';

/** The queue with the operator's backoff policy, or another. */
const newQueue = (policy = { baseMs: 100, capMs: 60_000 }) =>
  new WorkQueue((attempt) => backoffDelay(attempt, policy));

describe('the work queue', () => {
  it('holds a key once however often it is added', async () => {
    const queue = newQueue();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe('a');
    expect(await queue.get()).toBe('b');
    queue.shutdown();
  });

  it('never hands a key to two workers at once, and queues it again if added meanwhile', async () => {
    const queue = newQueue();
    queue.add('a');
    const first = await queue.get();
    queue.add('a');
    // Processing: a second worker must not receive it.
    expect(queue.length).toBe(0);
    let second: string | undefined;
    const waiting = queue.get().then((k) => (second = k));
    await new Promise((r) => setImmediate(r));
    expect(second).toBeUndefined();
    queue.done(first!);
    await waiting;
    expect(second).toBe('a');
    queue.shutdown();
  });

  it('wakes an idle worker as soon as a key arrives', async () => {
    const queue = newQueue();
    const got = queue.get();
    queue.add('x');
    expect(await got).toBe('x');
    queue.shutdown();
  });

  it('requeues failures after a backoff that doubles, until forgotten', () => {
    const queue = newQueue({ baseMs: 100, capMs: 1000 });
    const delays = [1, 2, 3, 4, 5].map(() => queue.addRateLimited('a'));
    expect(delays[0]).toBeGreaterThanOrEqual(50);
    expect(delays[0]).toBeLessThanOrEqual(100);
    expect(delays[3]).toBeGreaterThanOrEqual(400);
    expect(delays[4]).toBeLessThanOrEqual(1000);
    expect(queue.failuresOf('a')).toBe(5);
    queue.forget('a');
    expect(queue.failuresOf('a')).toBe(0);
    queue.shutdown();
  });

  it('keeps the earliest of several delayed adds', async () => {
    const queue = newQueue();
    const start = Date.now();
    queue.addAfter('a', 5_000);
    queue.addAfter('a', 30);
    queue.addAfter('a', 10_000);
    expect(queue.delayedCount).toBe(1);
    expect(await queue.get()).toBe('a');
    expect(Date.now() - start).toBeLessThan(1_000);
    queue.shutdown();
  });

  it('wakes its workers with nothing when shut down', async () => {
    const queue = newQueue();
    const got = queue.get();
    queue.addAfter('later', 10_000);
    queue.shutdown();
    expect(await got).toBeUndefined();
    expect(await queue.get()).toBeUndefined();
    queue.add('ignored');
    expect(queue.length).toBe(0);
  });
});

describe('backoff', () => {
  it('grows exponentially with jitter and stays under its cap', () => {
    const policy = { baseMs: 200, capMs: 5_000 };
    expect(backoffDelay(1, policy, () => 0)).toBe(100);
    expect(backoffDelay(1, policy, () => 1)).toBe(200);
    expect(backoffDelay(3, policy, () => 1)).toBe(800);
    expect(backoffDelay(30, policy, () => 1)).toBe(5_000);
    expect(backoffDelay(30, policy, () => 0)).toBe(2_500);
  });
});
