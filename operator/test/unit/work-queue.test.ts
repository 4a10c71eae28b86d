import { describe, expect, it } from '@jest/globals';
import { backoffDelay } from '@rediclaim/core';
import { Registry } from 'prom-client';
import { WorkQueueMetrics } from '../../src/runtime/work-queue-metrics.js';
import { WorkQueue } from '../../src/runtime/work-queue.js';
import { scrape, valueOf, type Sample } from '../support/metrics.js';

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

/** A queue named `q` whose client-go metrics are scraped from a registry of its own. */
function instrumentedQueue() {
  const registry = new Registry();
  const families = new WorkQueueMetrics(registry);
  const queue = new WorkQueue(() => 10_000, families.forQueue('q'));
  const read = async () => {
    const samples = await scrape(registry);
    const value = (name: string, labels: Record<string, string> = {}) =>
      valueOf(samples, `workqueue_${name}`, { name: 'q', controller: 'q', ...labels });
    return { samples, value };
  };
  return { registry, families, queue, read };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the work queue metrics (client-go semantics)', () => {
  it('counts adds and depth once per waiting key, labelled with name and controller', async () => {
    const { queue, read } = instrumentedQueue();
    let m = await read();
    expect(m.value('depth')).toBe(0);
    expect(m.value('adds_total')).toBe(0);
    queue.add('a');
    queue.add('b');
    queue.add('a');
    m = await read();
    expect(m.value('adds_total')).toBe(2);
    expect(m.value('depth')).toBe(2);
    await queue.get();
    m = await read();
    expect(m.value('depth')).toBe(1);
    queue.shutdown();
  });

  it('observes the time a key waited and the time it was worked on', async () => {
    const { queue, read } = instrumentedQueue();
    queue.add('a');
    await sleep(30);
    const key = await queue.get();
    await sleep(40);
    queue.done(key!);
    const m = await read();
    expect(m.value('queue_duration_seconds_count')).toBe(1);
    expect(m.value('queue_duration_seconds_sum')).toBeGreaterThanOrEqual(0.025);
    expect(m.value('work_duration_seconds_count')).toBe(1);
    expect(m.value('work_duration_seconds_sum')).toBeGreaterThanOrEqual(0.035);
    // client-go's buckets: 10 ns to 1000 s by tens.
    expect(m.value('work_duration_seconds_bucket', { le: '1e-8' })).toBe(0);
    expect(m.value('work_duration_seconds_bucket', { le: '0.1' })).toBe(1);
    expect(m.value('work_duration_seconds_bucket', { le: '1000' })).toBe(1);
    queue.shutdown();
  });

  it('keeps a key added while it is processed in the depth, and times it from that add', async () => {
    const { queue, read } = instrumentedQueue();
    queue.add('a');
    const first = await queue.get();
    queue.add('a');
    let m = await read();
    expect(m.value('depth')).toBe(1);
    expect(m.value('adds_total')).toBe(2);
    await sleep(30);
    queue.done(first!);
    await queue.get();
    m = await read();
    expect(m.value('depth')).toBe(0);
    expect(m.value('queue_duration_seconds_count')).toBe(2);
    expect(m.value('queue_duration_seconds_sum')).toBeGreaterThanOrEqual(0.025);
    queue.shutdown();
  });

  it('counts every delayed add as a retry, and an immediate one as an add only', async () => {
    const { queue, read } = instrumentedQueue();
    queue.addRateLimited('a');
    queue.addAfter('b', 5_000);
    queue.addAfter('c', 0);
    const m = await read();
    expect(m.value('retries_total')).toBe(2);
    expect(m.value('adds_total')).toBe(1);
    expect(m.value('depth')).toBe(1);
    queue.shutdown();
  });

  it('shows the work under way: its total age and the oldest', async () => {
    const { queue, read } = instrumentedQueue();
    queue.add('a');
    queue.add('b');
    const a = await queue.get();
    await sleep(50);
    const b = await queue.get();
    await sleep(20);
    let m = await read();
    const longest = m.value('longest_running_processor_seconds')!;
    expect(longest).toBeGreaterThanOrEqual(0.065);
    expect(m.value('unfinished_work_seconds')).toBeGreaterThanOrEqual(longest + 0.015);
    queue.done(a!);
    queue.done(b!);
    m = await read();
    expect(m.value('unfinished_work_seconds')).toBe(0);
    expect(m.value('longest_running_processor_seconds')).toBe(0);
    queue.shutdown();
  });

  it('drops the depth of a shut-down queue to 0, and sums the queues of one name', async () => {
    const { families, queue, read } = instrumentedQueue();
    queue.add('a');
    queue.add('b');
    const a = await queue.get();
    queue.add('a');
    queue.shutdown();
    let m = await read();
    expect(m.value('depth')).toBe(0);
    // The reconcile under way at shutdown still counts until it ends.
    expect(m.value('longest_running_processor_seconds')).toBeGreaterThan(0);
    // The next term's queue reports under the same name while the last one finishes.
    const next = new WorkQueue(() => 10_000, families.forQueue('q'));
    next.add('c');
    await sleep(20);
    m = await read();
    expect(m.value('depth')).toBe(1);
    expect(m.value('longest_running_processor_seconds')).toBeGreaterThanOrEqual(0.015);
    queue.done(a!);
    m = await read();
    expect(m.value('longest_running_processor_seconds')).toBe(0);
    expect(m.value('work_duration_seconds_count')).toBe(1);
    next.shutdown();
    expect(names(m.samples)).toEqual([
      'workqueue_adds_total',
      'workqueue_depth',
      'workqueue_longest_running_processor_seconds',
      'workqueue_queue_duration_seconds_bucket',
      'workqueue_queue_duration_seconds_count',
      'workqueue_queue_duration_seconds_sum',
      'workqueue_retries_total',
      'workqueue_unfinished_work_seconds',
      'workqueue_work_duration_seconds_bucket',
      'workqueue_work_duration_seconds_count',
      'workqueue_work_duration_seconds_sum',
    ]);
  });
});

const names = (samples: readonly Sample[]) => [...new Set(samples.map((s) => s.name))].sort();

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
