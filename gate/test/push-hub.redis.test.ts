import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { eventKeys } from '@rediclaim/core';
import {
  ChangePublisher,
  GateMetrics,
  PushHub,
  type PushHubOptions,
  type PushSink,
  type StreamedStatus,
} from '@rediclaim/gate';
import { testRedis, uniqueName, waitFor } from '@rediclaim/hack/testing';

/**
 * The hub's own rules on the test stack's Redis (its subscriber is a real connection,
 * notices really travel through pub/sub): what it does with notices it cannot read, a
 * peer that stops reading, a subscriber that reconnects, a stream whose reads fail.
 * Statuses come from a function the test controls: the hub does not know the queue.
 */
const logger = pino({ level: 'silent' });
const OPTIONS: PushHubOptions = {
  maxStreams: 100,
  heartbeatMs: 60_000,
  resyncMs: 3_600_000,
  retryMs: 3_000,
  readConcurrency: 4,
  tickMs: 50,
  maxPendingBytes: 1024,
};

/** A response as the hub sees it: what was written, and a backlog the test sets. */
class RecordingSink implements PushSink {
  readonly chunks: string[] = [];
  pending = 0;
  ended = false;
  private closeListener: (() => void) | undefined;
  write(chunk: string): void {
    this.chunks.push(chunk);
  }
  end(): void {
    this.ended = true;
    this.closeListener?.();
  }
  onClose(listener: () => void): void {
    this.closeListener = listener;
  }
  get statuses(): string[] {
    return this.chunks
      .filter((c) => c.includes('event: status'))
      .map((c) => (JSON.parse(c.split('data: ')[1]!) as StreamedStatus).status);
  }
}

const waiting = (rank: number): StreamedStatus => ({
  status: 'WAITING',
  rank,
  ahead: rank - 1,
  etaSeconds: rank,
});

let redis: Redis;
const hubs: PushHub[] = [];

beforeAll(() => {
  redis = testRedis();
});
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.stop()));
});
afterAll(async () => {
  await redis.quit();
});

async function hubWith(options: Partial<PushHubOptions> = {}) {
  const metrics = new GateMetrics({ defaultMetrics: false });
  const subscriber = redis.duplicate();
  // Its connection's id, asked before it subscribes (then it answers nothing else).
  const clientId = String(await subscriber.client('ID'));
  const hub = new PushHub({ subscriber, logger, metrics }, { ...OPTIONS, ...options });
  hub.start();
  hubs.push(hub);
  return { hub, metrics, subscriber, clientId };
}

async function counter(metrics: GateMetrics, name: string, labels: Record<string, string>) {
  const metric = await metrics.registry.getSingleMetric(name)!.get();
  return (
    metric.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ??
    0
  );
}

async function openStream(
  hub: PushHub,
  channel: string,
  userId: string,
  read: () => Promise<StreamedStatus>,
) {
  const opened = await hub.open({
    channel,
    userId,
    read,
    phase: () => 'Open',
    serialize: (b) => JSON.stringify(b),
  });
  const sink = new RecordingSink();
  opened.start(sink);
  return sink;
}

describe('the push hub', () => {
  it('ignores a notice it cannot read, counting it, and still acts on the next one', async () => {
    const { hub, metrics } = await hubWith();
    const keys = eventKeys('hub', uniqueName('bad-notice'));
    let status: StreamedStatus = waiting(3);
    const sink = await openStream(hub, keys.changes, 'u1', async () => status);
    await redis.publish(keys.changes, '{"admitted":"u1"}');
    await redis.publish(keys.changes, 'not json');
    await waitFor(
      'both notices refused',
      async () =>
        (await counter(metrics, 'rediclaim_gate_push_notices_total', { outcome: 'invalid' })) === 2,
      5_000,
      20,
    );
    expect(sink.statuses).toEqual(['WAITING']);
    status = { status: 'PROCESSING', rank: null, ahead: null, etaSeconds: null };
    new ChangePublisher(redis, logger, metrics).admitted(keys, ['u1'], 1);
    await waitFor('PROCESSING pushed', () => sink.statuses.at(-1) === 'PROCESSING', 5_000, 20);
  });

  it('cuts off a peer that stopped reading instead of buffering for it', async () => {
    const { hub, metrics } = await hubWith();
    const keys = eventKeys('hub', uniqueName('slow'));
    let rank = 50;
    const sink = await openStream(hub, keys.changes, 'slow', async () => waiting(rank));
    sink.pending = 4096; // more than maxPendingBytes left unread
    rank = 10;
    new ChangePublisher(redis, logger, metrics).decided(keys, ['slow'], false);
    await waitFor('the slow peer cut off', () => sink.ended, 5_000, 20);
    expect(sink.statuses).toEqual(['WAITING']);
    expect(hub.size).toBe(0);
    expect(
      await counter(metrics, 'rediclaim_gate_push_refused_total', { reason: 'slow_reader' }),
    ).toBe(1);
  });

  it('reads every stream again after its subscriber reconnects (notices sent meanwhile are lost)', async () => {
    const { hub, metrics, subscriber, clientId } = await hubWith();
    const keys = eventKeys('hub', uniqueName('reconnect'));
    let status: StreamedStatus = waiting(2);
    const sink = await openStream(hub, keys.changes, 'r1', async () => status);
    status = { status: 'SOLD_OUT', rank: null, ahead: null, etaSeconds: null };
    await redis.client('KILL', 'ID', clientId);
    await waitFor('the stream told SOLD_OUT after the reconnect', () => sink.ended, 10_000, 20);
    expect(sink.statuses).toEqual(['WAITING', 'SOLD_OUT']);
    expect(
      await counter(metrics, 'rediclaim_gate_push_reads_total', { trigger: 'reconnect' }),
    ).toBe(1);
    expect(subscriber.status).toBe('ready');
  });

  it('keeps a stream whose read failed, and tells it at the next notice', async () => {
    const { hub, metrics } = await hubWith();
    const keys = eventKeys('hub', uniqueName('read-fails'));
    let fail = false;
    let status: StreamedStatus = waiting(4);
    const sink = await openStream(hub, keys.changes, 'f1', async () => {
      if (fail) throw new Error('Connection is closed.');
      return status;
    });
    fail = true;
    const publisher = new ChangePublisher(redis, logger, metrics);
    publisher.admitted(keys, ['f1'], 1);
    await waitFor(
      'the failed read counted',
      async () => (await counter(metrics, 'rediclaim_gate_push_read_failures_total', {})) === 1,
      5_000,
      20,
    );
    expect(hub.size).toBe(1);
    fail = false;
    status = { status: 'ISSUED', rank: null, ahead: null, etaSeconds: null };
    publisher.decided(keys, ['f1'], false);
    await waitFor('the outcome told', () => sink.ended, 5_000, 20);
    expect(sink.statuses).toEqual(['WAITING', 'ISSUED']);
    expect(sink.chunks.at(-1)).toBe('event: end\ndata: {}\n\n');
  });

  it('reads a stream a notice names before the routine reads queued ahead of it, once', async () => {
    const { hub, metrics, clientId } = await hubWith({ readConcurrency: 1 });
    const keys = eventKeys('hub', uniqueName('priority'));
    const reads: string[] = [];
    let decided = false;
    const sinks = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        openStream(hub, keys.changes, `p${i}`, async () => {
          reads.push(`p${i}`);
          await new Promise((r) => setTimeout(r, 10));
          return decided && i === 19
            ? { status: 'ISSUED', rank: null, ahead: null, etaSeconds: null }
            : waiting(i + 1);
        }),
      ),
    );
    reads.length = 0;
    // A reconnect queues a routine read of every stream, p19 last.
    await redis.client('KILL', 'ID', clientId);
    await waitFor(
      'the routine reads queued',
      async () =>
        (await counter(metrics, 'rediclaim_gate_push_reads_total', { trigger: 'reconnect' })) ===
        20,
      10_000,
      5,
    );
    decided = true;
    new ChangePublisher(redis, logger, metrics).decided(keys, ['p19'], false);
    await waitFor('p19 told its outcome', () => sinks[19]!.ended, 5_000, 5);
    await waitFor('every routine read done', () => reads.length >= 20, 5_000, 5);
    expect(reads.indexOf('p19')).toBeLessThan(10);
    expect(reads.filter((r) => r === 'p19')).toHaveLength(1);
    expect(sinks[19]!.statuses).toEqual(['WAITING', 'ISSUED']);
  });

  it('tells a stream still opening at a drain its status before closing it, without `end`', async () => {
    const { hub } = await hubWith();
    const keys = eventKeys('hub', uniqueName('drain-opening'));
    let answer: ((s: StreamedStatus) => void) | undefined;
    const opening = hub.open({
      channel: keys.changes,
      userId: 'd1',
      read: () => new Promise((r) => (answer = r)),
      phase: () => 'Open',
      serialize: (b) => JSON.stringify(b),
    });
    await waitFor('the opening read asked', () => answer !== undefined, 5_000, 5);
    hub.drain();
    answer!(waiting(5));
    const sink = new RecordingSink();
    (await opening).start(sink);
    expect(sink.statuses).toEqual(['WAITING']);
    expect(sink.ended).toBe(true);
    expect(sink.chunks.join('')).not.toContain('event: end');
    expect(hub.size).toBe(0);
  });

  it('reads everyone of the event when the stock is gone, a few at a time', async () => {
    const { hub, metrics } = await hubWith({ readConcurrency: 2 });
    const keys = eventKeys('hub', uniqueName('sold-out'));
    let soldOut = false;
    let inFlight = 0;
    let most = 0;
    const sinks = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        openStream(hub, keys.changes, `s${i}`, async () => {
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((r) => setTimeout(r, 5));
          inFlight--;
          return soldOut
            ? { status: 'SOLD_OUT', rank: null, ahead: null, etaSeconds: null }
            : waiting(i + 1);
        }),
      ),
    );
    most = 0;
    soldOut = true;
    new ChangePublisher(redis, logger, metrics).decided(keys, [], true);
    await waitFor('everyone told SOLD_OUT', () => sinks.every((s) => s.ended), 5_000, 20);
    expect(most).toBe(2);
    expect(hub.size).toBe(0);
  });
});
