import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import {
  encodeMessage,
  eventKeys,
  messageKeyOf,
  requestIdOf,
  type IssueRequest,
  type IssueResult,
} from '@rediclaim/core';
import { testKafka, testRedis, uniqueName, waitFor } from '@rediclaim/hack/testing';
import { GateScripts } from '@rediclaim/gate';
import { SuiteEvents } from './support/suite-events.js';
import {
  gateEnv,
  startGate,
  suiteTopics,
  type InProcessGate,
  type Topics,
} from './support/harness.js';
import { IssuerSim } from './support/issuer-sim.js';
import { shopperApi } from './support/shoppers.js';

/**
 * A shopper whose issue request may have reached the issuer is never told SOLD_OUT: what
 * the end-to-end Kafka-restart test found, reproduced step by step against the real
 * Redis and Kafka of the test stack. A send Kafka did not acknowledge although it stored
 * the request, or a result late past the processing timeout, must not put the shopper
 * back among those who were never sent; when the gate then derives sold out from other
 * shoppers' results, this one still reads PROCESSING, is sent again with the same
 * requestId, and learns the issuer's decision.
 */
const TENANT = 'resend';
const ids = { failed: uniqueName('failed'), late: uniqueName('late') };

let topics: Topics;
let sim: IssuerSim;
let g: InProcessGate;
let redis: Redis;
let scripts: GateScripts;
let producer: Producer;
const events = new SuiteEvents(TENANT);

const { join, me } = shopperApi(() => g.http);
const stats = async (ev: string) =>
  (await g.admin({ url: `/internal/v1/events/${TENANT}/${ev}/stats` })).json();

/** The result the issuer publishes for a request: a coupon, with the stock left after it. */
function issued(request: IssueRequest, serial: number, remaining: number): Partial<IssueResult> {
  const now = new Date().toISOString();
  return {
    outcome: 'ISSUED',
    remaining,
    stock: request.policy.stock,
    coupon: {
      code: `${request.userId.toUpperCase()}-${serial}`,
      serial,
      discount: request.policy.discount,
      validFrom: now,
      validUntil: now,
      issuedAt: now,
    },
  };
}

/** Deliveries of one shopper's requests the simulated issuer received. */
const deliveries = (ev: string, user: string) =>
  sim.requestsOf(ev).filter((r) => r.userId === user);

beforeAll(async () => {
  topics = await suiteTopics('resend');
  events.define(ids.failed, { mode: 'paused', stock: 2, rate: 50, processingTimeoutSeconds: 5 });
  events.define(ids.late, { stock: 2, rate: 50, processingTimeoutSeconds: 5 });
  sim = new IssuerSim(topics, { kind: 'silent' });
  await sim.start();
  producer = testKafka('resend').producer();
  await producer.connect();
  g = await startGate(
    gateEnv(topics, {
      EVENTS_FILE: events.path(),
      DISPATCH_INTERVAL_MS: '20',
      REQUEUE_INTERVAL_MS: '100',
      ENQUEUE_RATE_LIMIT_MAX: '0',
    }),
  );
  redis = testRedis();
  scripts = new GateScripts(redis);
});

afterAll(async () => {
  await g?.stop();
  await sim?.stop();
  await producer?.disconnect();
  await redis?.quit();
  await events.remove();
});

describe('a request Kafka stored although the send failed', () => {
  it("keeps the shopper PROCESSING while the gate derives sold out, sends it again with the same requestId, and shows the issuer's outcome", async () => {
    const id = ids.failed;
    const k = eventKeys(TENANT, id);
    const event = g.gate.events.get(id)!;
    // The issuer decided ann's request at its first delivery (a coupon), but its answers
    // reach the gate only once released (a results consumer rejoining its group); then it
    // answers her request, whenever it comes again, with that decision.
    let released = false;
    sim.set(id, {
      kind: 'custom',
      decide: (r) => (r.userId === 'ann' && released ? issued(r, 1, 0) : undefined),
    });
    expect((await join(id, 'ann')).statusCode).toBe(201);
    expect((await join(id, 'ben')).statusCode).toBe(201);

    // A replica admits ann (the event is paused: the gate's own dispatcher admits nobody)...
    const admit = () =>
      scripts.admit(k, {
        rate: 50,
        burst: 10,
        stock: 2,
        timeoutMs: 5_000,
        batchMax: 1, // ann only
        uid: event.uid,
        admitNew: true,
      });
    const reply = await waitFor('ann admitted', async () => {
      const r = await admit();
      return r.kind === 'ADMITTED' && r.shoppers.length > 0 ? r : undefined;
    });
    expect(reply.shoppers.map((a) => a.userId)).toEqual(['ann']);
    const ticket = reply.shoppers[0]!.ticket;
    // ...Kafka stores her request, but the replica's send fails all the same...
    const request: IssueRequest = {
      type: 'IssueRequest',
      version: 1,
      requestId: requestIdOf(TENANT, id, 'ann', ticket),
      tenant: TENANT,
      eventId: id,
      userId: 'ann',
      ticket,
      admittedAt: new Date(reply.nowMs).toISOString(),
      policy: event.policy,
    };
    await producer.send({
      topic: topics.requests,
      acks: -1,
      messages: [{ key: messageKeyOf(TENANT, id, 'ann'), value: encodeMessage(request) }],
    });
    await waitFor('the issuer to get the request', () => deliveries(id, 'ann').length === 1);
    expect(await scripts.requeueFailed(k, [{ userId: 'ann', ticket }])).toBe(1);
    // Still in flight, so the gate sends it again, as it was, though the event is paused.
    await waitFor('the request sent again', () => deliveries(id, 'ann').length >= 2);
    expect(deliveries(id, 'ann')[1]).toMatchObject({ requestId: request.requestId, ticket });

    // ...and the issuer's result for the last coupon (someone else's) arrives first.
    const zoe = { ...request, userId: 'zoe', ticket: ticket + 100 };
    await sim.publish([
      {
        type: 'IssueResult',
        version: 1,
        requestId: requestIdOf(TENANT, id, 'zoe', zoe.ticket),
        tenant: TENANT,
        eventId: id,
        userId: 'zoe',
        ticket: zoe.ticket,
        decidedAt: new Date().toISOString(),
        ...issued(zoe, 2, 0),
      } as IssueResult,
    ]);
    await waitFor('the gate to derive sold out', async () => (await stats(id)).soldOut === true);

    // Asked back after half as long as she has been in flight (re-sends do not reset it).
    const asked = Date.now();
    const processing = await me(id, 'ann');
    const halfAge = (at: number) => Math.max(1000, (at - reply.nowMs) / 2);
    expect(processing.status).toBe('PROCESSING');
    expect(processing.pollAfterMs).toBeGreaterThanOrEqual(halfAge(asked) - 50);
    expect(processing.pollAfterMs).toBeLessThanOrEqual(halfAge(Date.now()) + 50);
    expect((await join(id, 'ann')).json()).toMatchObject({
      joined: 'PROCESSING',
      status: 'PROCESSING',
    });
    // ben was never sent: he learns at once.
    expect(await me(id, 'ben')).toMatchObject({ status: 'SOLD_OUT', pollAfterMs: null });
    // waiting = who can still get something: nobody, though ben is still in the queue.
    expect(await stats(id)).toMatchObject({ soldOut: true, waiting: 0, processing: 1 });
    expect(await redis.zcard(k.queue)).toBe(1);
    expect((await g.http({ url: `/v1/events/${id}` })).json()).toMatchObject({
      phase: 'SoldOut',
      waiting: 0,
    });

    // The sale resumes, sold out: only ann's request goes out again (at her deadline), and
    // now the issuer's answer gets through.
    released = true;
    await events.update(g.gate, id, (c) => (c.admission.mode = 'fifo'));
    const view = await waitFor(
      'ann to learn her outcome',
      async () => {
        const v = await me(id, 'ann');
        expect(v.status).not.toBe('SOLD_OUT');
        return v.status === 'ISSUED' ? v : undefined;
      },
      15_000,
      100,
    );
    expect(view).toMatchObject({ coupon: { code: 'ANN-1' }, issuedCount: 1 });
    const sent = deliveries(id, 'ann');
    expect(sent.length).toBeGreaterThanOrEqual(3);
    expect(new Set(sent.map((r) => r.requestId))).toEqual(new Set([request.requestId]));
    expect(deliveries(id, 'ben')).toHaveLength(0);
    expect(await stats(id)).toMatchObject({ processing: 0, waiting: 0 });
    expect(await redis.exists(k.retry, k.deadlines, k.inflight)).toBe(0);

    // A raised stock gives ben his place back, and waiting counts him again.
    await events.update(g.gate, id, (c) => {
      c.coupon.stock = 3;
      c.admission.mode = 'paused';
    });
    expect(await stats(id)).toMatchObject({ soldOut: false, waiting: 1 });
    expect(await me(id, 'ben')).toMatchObject({ status: 'WAITING', rank: 1 });
  }, 30_000);
});

describe('a result late past the processing timeout', () => {
  it('never tells the shopper SOLD_OUT: the request is sent again with the same requestId until the answer comes', async () => {
    const id = ids.late;
    const k = eventKeys(TENANT, id);
    // Stock 2: the issuer issues ann and bob. bob's result (the last coupon) comes at
    // once; ann's only when her request comes again.
    sim.set(id, {
      kind: 'custom',
      decide: (r) =>
        r.userId === 'bob'
          ? issued(r, 2, 0)
          : deliveries(id, 'ann').length > 1
            ? issued(r, 1, 0)
            : undefined,
    });
    for (const user of ['ann', 'bob', 'cat']) expect((await join(id, user)).statusCode).toBe(201);

    const seen: string[] = [];
    let processingWhileSoldOut = false;
    const view = await waitFor(
      'ann to learn her outcome',
      async () => {
        const soldOut = (await stats(id)).soldOut as boolean;
        const v = await me(id, 'ann');
        if (seen.at(-1) !== v.status) seen.push(v.status);
        if (soldOut && v.status === 'PROCESSING') processingWhileSoldOut = true;
        return v.status === 'ISSUED' ? v : undefined;
      },
      30_000,
      100,
    );
    expect(seen.filter((s) => s !== 'WAITING')).toEqual(['PROCESSING', 'ISSUED']);
    expect(processingWhileSoldOut).toBe(true);
    expect(view).toMatchObject({ coupon: { code: 'ANN-1' } });
    expect(Number(await redis.hget(k.stats, 'requeuedTimeout'))).toBeGreaterThanOrEqual(1);
    const sent = deliveries(id, 'ann');
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sent.map((r) => r.requestId)).size).toBe(1);
    // cat was never sent: SOLD_OUT from the moment bob's result made the event sold out.
    expect(await me(id, 'cat')).toMatchObject({ status: 'SOLD_OUT' });
    expect(deliveries(id, 'cat')).toHaveLength(0);
    expect(await me(id, 'bob')).toMatchObject({ status: 'ISSUED', coupon: { code: 'BOB-2' } });
  }, 40_000);
});
