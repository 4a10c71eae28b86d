import { describe, expect, it } from '@jest/globals';
import { OffsetTracker, type TrackedBatch } from '@rediclaim/issuer';

function deferred() {
  let resolve!: (done: boolean) => void;
  const promise = new Promise<boolean>((r) => (resolve = r));
  return { promise, resolve };
}

const batch = (partition: number, first: number, last: number): TrackedBatch => ({
  topic: 't',
  partition,
  firstOffset: String(first),
  lastOffset: String(last),
  messages: last - first + 1,
});

const tick = () => new Promise((r) => setImmediate(r));

function tracker(maxInFlightMessages = 1_000) {
  const commits: string[] = [];
  const rewinds: string[] = [];
  const t = new OffsetTracker({
    maxInFlightMessages,
    commit: async (topic, partition, offset) => {
      commits.push(`${partition}@${offset}`);
    },
    rewind: (topic, partition, offset) => rewinds.push(`${partition}@${offset}`),
  });
  return { t, commits, rewinds };
}

describe('committing offsets of batches handed off', () => {
  it('commits a partition only up to the last batch with nothing unsettled before it', async () => {
    const { t, commits } = tracker();
    const [a, b, c] = [deferred(), deferred(), deferred()];
    t.track(batch(0, 0, 9), a.promise);
    t.track(batch(0, 10, 19), b.promise);
    t.track(batch(1, 0, 4), c.promise);
    b.resolve(true);
    await tick();
    expect(commits).toEqual([]);
    c.resolve(true);
    await tick();
    expect(commits).toEqual(['1@5']);
    a.resolve(true);
    await t.drained();
    expect(commits).toEqual(['1@5', '0@20']);
  });

  it('rewinds to a failed batch and never commits it or what came after', async () => {
    const { t, commits, rewinds } = tracker();
    const [a, b, c] = [deferred(), deferred(), deferred()];
    t.track(batch(0, 0, 9), a.promise);
    t.track(batch(0, 10, 19), b.promise);
    t.track(batch(0, 20, 29), c.promise);
    a.resolve(true);
    b.resolve(false);
    c.resolve(true);
    await t.drained();
    expect(commits).toEqual(['0@10']);
    expect(rewinds).toEqual(['0@10']);
  });

  it('treats a batch whose work threw like an abandoned one', async () => {
    const { t, commits, rewinds } = tracker();
    t.track(batch(0, 0, 9), Promise.reject(new Error('boom')));
    await t.drained();
    expect(commits).toEqual([]);
    expect(rewinds).toEqual(['0@0']);
  });

  it('neither rewinds nor commits batches from before a rebalance', async () => {
    const { t, commits, rewinds } = tracker();
    const [a, b] = [deferred(), deferred()];
    t.track(batch(0, 0, 9), a.promise);
    t.track(batch(0, 10, 19), b.promise);
    t.reset();
    a.resolve(true);
    b.resolve(false);
    await t.drained();
    expect(commits).toEqual([]);
    expect(rewinds).toEqual([]);
  });

  it('does not rewind once closed for shutdown', async () => {
    const { t, rewinds } = tracker();
    t.close();
    t.track(batch(0, 0, 9), Promise.resolve(false));
    await t.drained();
    expect(rewinds).toEqual([]);
  });

  it('makes a handler wait while too many messages are in flight', async () => {
    const { t } = tracker(15);
    const a = deferred();
    t.track(batch(0, 0, 9), a.promise);
    expect(t.hasRoom()).toBe(true);
    t.track(batch(1, 0, 9), Promise.resolve(true));
    await tick();
    expect(t.inFlightMessages).toBe(10);
    t.track(batch(2, 0, 9), deferred().promise);
    expect(t.hasRoom()).toBe(false);
    let roomy = false;
    const waiting = t.waitForRoom().then((ok) => (roomy = ok));
    await tick();
    expect(roomy).toBe(false);
    a.resolve(true);
    await waiting;
    expect(roomy).toBe(true);
  });

  it('stops waiting for room when told to give up', async () => {
    const { t } = tracker(1);
    t.track(batch(0, 0, 9), deferred().promise);
    const giveUp = new AbortController();
    const waiting = t.waitForRoom(giveUp.signal);
    giveUp.abort();
    await expect(waiting).resolves.toBe(false);
  });
});
