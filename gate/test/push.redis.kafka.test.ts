import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { eventKeys } from '@rediclaim/core';
import { GateScripts, type Gate } from '@rediclaim/gate';
import { testRedis, uniqueName, waitFor } from '@rediclaim/hack/testing';
import { SuiteEvents } from './support/suite-events.js';
import {
  gateEnv,
  startGate,
  suiteTopics,
  type InProcessGate,
  type Topics,
} from './support/harness.js';
import { IssuerSim } from './support/issuer-sim.js';
import { PushClient, readStream } from './support/push-client.js';
import { shopperApi } from './support/shoppers.js';
import { metricSum } from './support/processes.js';

/**
 * Push streams end to end on the test stack's Redis and Kafka: the streams are held by
 * one gate that neither admits nor consumes results (`background: false`), another gate
 * admits and records, so everything a stream tells came through the change notices of
 * the other replica (or its resync). The issuer is simulated over Kafka.
 */
const TENANT = 'push-shop';
const ids = {
  journey: uniqueName('journey'),
  progress: uniqueName('progress'),
  soldOut: uniqueName('soldout'),
  resume: uniqueName('resume'),
  lost: uniqueName('lost'),
  refusals: uniqueName('refusals'),
};

let topics: Topics;
let sim: IssuerSim;
let worker: InProcessGate;
let holder: InProcessGate;
let redis: Redis;
const events = new SuiteEvents(TENANT);
const clients: PushClient[] = [];

const baseOf = (gate: Gate) =>
  `http://127.0.0.1:${(gate.app.server.address() as AddressInfo).port}`;
const q = encodeURIComponent;
const streamUrl = (ev: string, user: string) =>
  `${baseOf(holder.gate)}/v1/events/${ev}/queue/me/stream?userId=${q(user)}`;
const { join } = shopperApi(() => holder.http);
const push = (url: string) => {
  const client = new PushClient(url);
  clients.push(client);
  return client;
};

beforeAll(async () => {
  topics = await suiteTopics('push');
  events.define(ids.journey, { mode: 'paused', rate: 50 });
  events.define(ids.progress, { mode: 'paused', rate: 6, stock: 10_000 });
  events.define(ids.soldOut, { mode: 'paused', rate: 100, stock: 3 });
  events.define(ids.resume, { mode: 'paused' });
  events.define(ids.lost, { mode: 'paused' });
  events.define(ids.refusals, { mode: 'paused' });
  sim = new IssuerSim(topics, { kind: 'issue' });
  await sim.start();
  const env = gateEnv(topics, {
    EVENTS_FILE: events.path(),
    DISPATCH_INTERVAL_MS: '20',
    // Progress comes from the notices, outcomes too: resyncs are the lost test's alone.
    GATE_PUSH_RESYNC_SECONDS: '3600',
    GATE_PUSH_HEARTBEAT_SECONDS: '1',
    GATE_PUSH_MAX_STREAMS: '40',
  });
  worker = await startGate(env);
  holder = await startGate(env, { background: false });
  redis = testRedis();
});

afterAll(async () => {
  for (const client of clients) client.close();
  await holder?.stop();
  await worker?.stop();
  await sim?.stop();
  await redis?.quit();
  await events.remove();
});

/** Opens the sale on both gates (the paused events of this suite). */
async function open(id: string): Promise<void> {
  await events.update(worker.gate, id, (c) => (c.admission!.mode = 'fifo'));
  await waitFor(
    `${id} open on the holder`,
    () => holder.gate.events.get(id)?.config.admission.mode === 'fifo',
    5_000,
    20,
  );
}

describe('a push stream', () => {
  it('tells a waiting shopper admission and the outcome as they happen on another replica, then ends', async () => {
    await join(ids.journey, 'ann');
    const ann = push(streamUrl(ids.journey, 'ann'));
    const first = await ann.status('WAITING');
    expect(first).toMatchObject({ id: 'WAITING.1', body: { rank: 1, ahead: 0 } });
    expect(typeof first.body.ticket).toBe('string');
    await open(ids.journey);
    const issued = await ann.status('ISSUED');
    await ann.end();
    expect(issued.id).toBe('ISSUED');
    expect(issued.body).toMatchObject({ status: 'ISSUED', coupon: { code: expect.any(String) } });
    // The same answer the poll gives.
    const polled = (
      await holder.http({ url: `/v1/events/${ids.journey}/queue/me?userId=ann` })
    ).json();
    expect(issued.body.coupon).toEqual(polled.coupon);
    // PROCESSING may pass too quickly to be read, never out of order.
    expect(ann.statuses.filter((s) => s !== 'PROCESSING')).toEqual(['WAITING', 'ISSUED']);
    expect(ann.errors).toBe(0);
  });

  it("moves a waiting shopper's place at milestones, not at every admission", async () => {
    for (let i = 0; i < 60; i++) await join(ids.progress, `p${i}`);
    const last = push(streamUrl(ids.progress, 'p59'));
    await last.status('WAITING');
    expect(last.last!.body.rank).toBe(60);
    await open(ids.progress);
    await last.end(30_000);
    const ranks = last.frames.filter((f) => f.body.status === 'WAITING').map((f) => f.body.rank!);
    // 59 admissions ahead at 6/s, ten seconds: a few frames (a tenth closer, at most
    // one in three seconds), not 59.
    expect(ranks.length).toBeGreaterThanOrEqual(3);
    expect(ranks.length).toBeLessThan(8);
    for (let i = 1; i < ranks.length; i++) expect(ranks[i]!).toBeLessThan(ranks[i - 1]!);
    expect(last.frames.map((f) => f.id).slice(0, 2)).toEqual(['WAITING.60', `WAITING.${ranks[1]}`]);
    expect(last.last!.body.status).toBe('ISSUED');
  });

  it('tells everyone still waiting SOLD_OUT as soon as the stock is gone', async () => {
    const users = Array.from({ length: 10 }, (_, i) => `s${i}`);
    for (const user of users) await join(ids.soldOut, user);
    const streams = users.map((user) => push(streamUrl(ids.soldOut, user)));
    await Promise.all(streams.map((s) => s.status('WAITING')));
    await open(ids.soldOut);
    await Promise.all(streams.map((s) => s.end()));
    const outcomes = streams.map((s) => s.last!.body.status).sort();
    expect(outcomes).toEqual([...Array(3).fill('ISSUED'), ...Array(7).fill('SOLD_OUT')]);
    // The seven were never admitted: the stock was gone first, and they heard it pushed.
    for (const s of streams.filter((s) => s.last!.body.status === 'SOLD_OUT'))
      expect(s.statuses).toEqual(['WAITING', 'SOLD_OUT']);
  });

  it('skips, after a reconnect with Last-Event-ID, the state the shopper was told, and heartbeats', async () => {
    await join(ids.resume, 'rob');
    const url = streamUrl(ids.resume, 'rob');
    const fresh = await readStream(url, 1_500);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(fresh.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(fresh.text).toMatch(/^retry: \d+\n\nid: WAITING\.1\nevent: status\ndata: \{/);
    const resumed = await readStream(url, 1_500, { 'last-event-id': 'WAITING.1' });
    expect(resumed.text).toMatch(/^retry: \d+\n\n/);
    expect(resumed.text).not.toContain('event: status');
    // Silence is filled with comment lines (GATE_PUSH_HEARTBEAT_SECONDS=1).
    expect(resumed.text).toContain(': keep-alive\n\n');
    // A state the shopper has not seen is told.
    const other = await readStream(url, 1_000, { 'last-event-id': 'WAITING.7' });
    expect(other.text).toContain('id: WAITING.1\nevent: status');
  });

  it('learns an outcome whose notice was lost at its next resync', async () => {
    const g = await startGate(
      gateEnv(topics, { EVENTS_FILE: events.path(), GATE_PUSH_RESYNC_SECONDS: '1' }),
      { background: false },
    );
    try {
      await join(ids.lost, 'lea');
      const lea = push(`${baseOf(g.gate)}/v1/events/${ids.lost}/queue/me/stream?userId=lea`);
      await lea.status('WAITING');
      // A replica that recorded the result and died before telling anyone: Redis only.
      const k = eventKeys(TENANT, ids.lost);
      const ticket = Number(await redis.zscore(k.queue, 'lea'));
      await redis.multi().zrem(k.queue, 'lea').hset(k.inflight, 'lea', String(ticket)).exec();
      const decidedAt = new Date().toISOString();
      await new GateScripts(redis).recordResults(
        [
          {
            keys: k,
            args: {
              userId: 'lea',
              ticket,
              outcome: 'ISSUED',
              resultJson: JSON.stringify({
                ticket,
                status: 'ISSUED',
                coupon: {
                  code: 'LOST-NOTICE-1',
                  serial: 1,
                  discount: { type: 'percent', percent: 10 },
                  validFrom: decidedAt,
                  validUntil: decidedAt,
                  issuedAt: decidedAt,
                },
                decidedAt,
              }),
              stock: 1000,
              remaining: 999,
              retentionSeconds: 3600,
              uid: '',
            },
          },
        ],
        10,
      );
      const issued = await lea.status('ISSUED', 5_000);
      expect(issued.body.coupon).toMatchObject({ code: 'LOST-NOTICE-1' });
      await lea.end();
    } finally {
      await g.stop();
    }
  });
});

describe('refusals before a stream starts', () => {
  it('are the JSON answers of the poll: unknown event, no identity, a forged ticket', async () => {
    const base = baseOf(holder.gate);
    const unknown = await fetch(`${base}/v1/events/${uniqueName('nope')}/queue/me/stream?userId=a`);
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).code).toBe('UNKNOWN_EVENT');
    const anonymous = await fetch(`${base}/v1/events/${ids.refusals}/queue/me/stream`);
    expect(anonymous.status).toBe(400);
    expect(await anonymous.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'querystring.userId: is required (or pass the signed ticket as ?ticket=)',
    });
    const forged = await fetch(
      `${base}/v1/events/${ids.refusals}/queue/me/stream?ticket=${'x'.repeat(40)}`,
    );
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(forged.status).toBeLessThan(500);
    expect(forged.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('past GATE_PUSH_MAX_STREAMS: 503 OVERLOADED with Retry-After, while polling still answers', async () => {
    const g = await startGate(
      gateEnv(topics, { EVENTS_FILE: events.path(), GATE_PUSH_MAX_STREAMS: '1' }),
      { background: false },
    );
    try {
      await join(ids.refusals, 'first');
      await join(ids.refusals, 'second');
      const url = (user: string) =>
        `${baseOf(g.gate)}/v1/events/${ids.refusals}/queue/me/stream?userId=${user}`;
      const first = push(url('first'));
      await first.status('WAITING');
      const refused = await fetch(url('second'));
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('30');
      expect(await refused.json()).toEqual({
        code: 'OVERLOADED',
        message: 'this gate holds its most push streams (1); poll instead',
      });
      const poll = await g.http({ url: `/v1/events/${ids.refusals}/queue/me?userId=second` });
      expect(poll.json()).toMatchObject({ status: 'WAITING', rank: 2 });
      const adminUrl = `http://127.0.0.1:${(g.gate.adminApp.server.address() as AddressInfo).port}`;
      expect(await metricSum(adminUrl, 'rediclaim_gate_push_refused_total')).toBe(1);
      expect(await metricSum(adminUrl, 'rediclaim_gate_push_streams')).toBe(1);
      // The stream closed, its place is free again.
      first.close();
      await waitFor('the stream to be let go', () => g.gate.push!.size === 0, 5_000, 20);
      expect((await readStream(url('second'), 500)).status).toBe(200);
      // A stream's life is not a request's latency: only the quick refusal was observed.
      const text = await (await fetch(`${adminUrl}/metrics`)).text();
      const streamSeries = text
        .split('\n')
        .filter(
          (l) =>
            l.startsWith('rediclaim_gate_http_request_duration_seconds_count') &&
            l.includes('/stream'),
        );
      expect(streamSeries).toHaveLength(1);
      expect(streamSeries[0]).toContain('status_code="503"');
    } finally {
      await g.stop();
    }
  });
});

describe("a client's own bound on streams (GATE_PUSH_MAX_STREAMS_PER_CLIENT)", () => {
  it('counts its streams on every gate together: past it 429 with Retry-After, and it polls', async () => {
    // One environment, so both gates count under one namespace: one fleet.
    const env = gateEnv(topics, {
      EVENTS_FILE: events.path(),
      RATE_LIMIT_STORE: 'redis',
      GATE_PUSH_MAX_STREAMS_PER_CLIENT: '2',
    });
    const a = await startGate(env, { background: false });
    const b = await startGate(env, { background: false });
    try {
      for (const user of ['c1', 'c2', 'c3']) await join(ids.refusals, user);
      const url = (g: InProcessGate, user: string) =>
        `${baseOf(g.gate)}/v1/events/${ids.refusals}/queue/me/stream?userId=${user}`;
      const first = push(url(a, 'c1'));
      const second = push(url(b, 'c2'));
      await first.status('WAITING');
      await second.status('WAITING');
      for (const g of [a, b]) {
        const refused = await fetch(url(g, 'c3'));
        expect(refused.status).toBe(429);
        expect(refused.headers.get('retry-after')).toBe('30');
        expect(await refused.json()).toEqual({
          code: 'RATE_LIMITED',
          message: 'your address holds its most push streams; poll instead',
        });
      }
      const poll = await b.http({ url: `/v1/events/${ids.refusals}/queue/me?userId=c3` });
      expect(poll.json()).toMatchObject({ status: 'WAITING' });
      const adminOf = (g: InProcessGate) =>
        `http://127.0.0.1:${(g.gate.adminApp.server.address() as AddressInfo).port}`;
      const limited = async (g: InProcessGate) => {
        const text = await (await fetch(`${adminOf(g)}/metrics`)).text();
        const line = text.split('\n').find((l) => l.includes('rate_limited_total{route="stream"}'));
        return Number(line?.split(' ').pop());
      };
      expect([await limited(a), await limited(b)]).toEqual([1, 1]);
      // A stream closed on one gate frees its slot for the other.
      first.close();
      const slotsKey = `${env.RATE_LIMIT_NAMESPACE}streams:127.0.0.1`;
      await waitFor(
        'its slot to be let go',
        async () => (await redis.zcard(slotsKey)) === 1,
        5_000,
        20,
      );
      const third = push(url(b, 'c3'));
      await third.status('WAITING');
      expect(b.gate.push!.size).toBe(2);
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});

describe('a gate shutting down', () => {
  it('closes its streams without `end`, so EventSource reconnects to another replica', async () => {
    const g = await startGate(
      gateEnv(topics, { EVENTS_FILE: events.path(), SHUTDOWN_DRAIN_MS: '300' }),
      { background: false },
    );
    await join(ids.refusals, 'drained');
    const reading = readStream(
      `${baseOf(g.gate)}/v1/events/${ids.refusals}/queue/me/stream?userId=drained`,
      10_000,
    );
    await waitFor('the stream to open', () => g.gate.push!.size === 1, 5_000, 20);
    const stopped = g.stop();
    const stream = await reading;
    await stopped;
    expect(stream.closedByServer).toBe(true);
    expect(stream.text).toContain('event: status');
    expect(stream.text).not.toContain('event: end');
  });
});
