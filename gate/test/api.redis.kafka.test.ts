import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { eventKeys } from '@rediclaim/core';
import { testKafka, testRedis, uniqueName, waitFor } from '@rediclaim/hack/testing';
import { SuiteEvents } from './support/suite-events.js';
import {
  gateEnv,
  signedAsIssuer,
  startGate,
  suiteTopics,
  type InProcessGate,
  type Topics,
} from './support/harness.js';
import { IssuerSim } from './support/issuer-sim.js';
import { shopperApi } from './support/shoppers.js';
import type { Client } from './support/client.js';
import { expectError } from './support/expect-error.js';

/**
 * Every state and refusal through the HTTP APIs (app.inject) of a gate running in this
 * process against the real Redis and Kafka of the test stack. The issuer is simulated
 * over Kafka: it consumes the gate's requests and produces results to the results topic.
 */
const TENANT = 'api-shop';
const ids = {
  order: uniqueName('order'),
  eta: uniqueName('eta'),
  issue: uniqueName('issue'),
  soldOut: uniqueName('soldout'),
  already: uniqueName('already'),
  rejected: uniqueName('rejected'),
  future: uniqueName('future'),
  closed: uniqueName('closed'),
  closing: uniqueName('closing'),
  deleted: uniqueName('deleted'),
  full: uniqueName('full'),
  paused: uniqueName('paused'),
  preQueue: uniqueName('prequeue'),
  input: uniqueName('input'),
  limit2: uniqueName('limit2'),
  dropped: uniqueName('dropped'),
};

let topics: Topics;
let sim: IssuerSim;
let g: InProcessGate;
let app: { inject: Client };
let admin: { inject: Client };
let redis: Redis;
const events = new SuiteEvents(TENANT);

const q = (s: string) => encodeURIComponent(s);
const seedJoin = (ev: string, user: string) =>
  app.inject({ method: 'POST', url: `/gate/events/${ev}/enqueue?userId=${q(user)}` });
const seedRank = (ev: string, user: string) =>
  app.inject({ method: 'GET', url: `/gate/events/${ev}/rank?userId=${q(user)}` });
const { join, me, untilStatus } = shopperApi(() => app.inject);

beforeAll(async () => {
  topics = await suiteTopics('api');
  events.define(ids.order, { mode: 'paused' });
  events.define(ids.eta, { rate: 2, stock: 10_000 });
  events.define(ids.issue, { rate: 200 });
  events.define(ids.soldOut, { rate: 200, stock: 2 });
  events.define(ids.already, { rate: 200 });
  events.define(ids.rejected, { rate: 200 });
  events.define(ids.future, { opensInMs: 3_600_000 });
  events.define(ids.closed, { opensInMs: -7_200_000, closesInMs: -3_600_000 });
  events.define(ids.closing, { mode: 'paused', closesInMs: 3_600_000 });
  events.define(ids.deleted, { mode: 'paused', uid: 'uid-deleted' });
  events.define(ids.full, { mode: 'paused', maxQueueLength: 2 });
  events.define(ids.paused, { mode: 'paused', rate: 500 });
  events.define(ids.preQueue, { rate: 1_000, preQueueInMs: -60_000, opensInMs: 3_600_000 });
  events.define(ids.input, { mode: 'paused' });
  events.define(ids.limit2, { rate: 200, perUserLimit: 2 });
  events.define(ids.dropped, { rate: 200 });
  sim = new IssuerSim(topics, { kind: 'silent' });
  sim.set(ids.soldOut, { kind: 'issue' });
  sim.set(ids.paused, { kind: 'issue' });
  sim.set(ids.preQueue, { kind: 'issue' });
  sim.set(ids.limit2, { kind: 'issue' });
  sim.set(ids.dropped, { kind: 'issue' });
  sim.set(ids.rejected, { kind: 'reject', reason: 'COUPON_WINDOW_ENDED' });
  sim.set(ids.already, {
    kind: 'custom',
    decide: () => ({ outcome: 'ALREADY_ISSUED', remaining: 900 }),
  });
  await sim.start();
  g = await startGate(
    gateEnv(topics, {
      EVENTS_FILE: events.path(),
      DISPATCH_INTERVAL_MS: '20',
      ENQUEUE_RATE_LIMIT_MAX: '0',
    }),
  );
  app = { inject: g.http };
  admin = { inject: g.admin };
  redis = testRedis();
});

afterAll(async () => {
  await g?.stop();
  await sim?.stop();
  await redis?.quit();
  await events.remove();
});

describe('joining (seed API and v1)', () => {
  it('answers ENQUEUED, then ALREADY_ENQUEUED with the same 1-based rank, in arrival order', async () => {
    const a = await seedJoin(ids.order, 'alice');
    expect(a.statusCode).toBe(200);
    expect(a.json()).toEqual({ status: 'ENQUEUED', rank: 1 });
    expect((await seedJoin(ids.order, 'bob')).json()).toEqual({ status: 'ENQUEUED', rank: 2 });
    expect((await seedJoin(ids.order, 'alice')).json()).toEqual({
      status: 'ALREADY_ENQUEUED',
      rank: 1,
    });
    expect((await seedRank(ids.order, 'bob')).json()).toEqual({ status: 'WAITING', rank: 2 });

    const carol = await join(ids.order, 'carol');
    expect(carol.statusCode).toBe(201);
    expect(carol.json()).toMatchObject({
      joined: 'ENQUEUED',
      status: 'WAITING',
      rank: 3,
      ahead: 2,
      preQueue: false,
      phase: 'Paused',
    });
    const again = await join(ids.order, 'carol');
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ joined: 'ALREADY_ENQUEUED', rank: 3 });
    expect(await redis.zcard(eventKeys(TENANT, ids.order).queue)).toBe(3);
  });

  it('gives a signed ticket that resumes the place without the identity, and refuses a forged one', async () => {
    const { ticket } = (await join(ids.order, 'dave')).json() as { ticket: string };
    const resumed = await app.inject({
      url: `/v1/events/${ids.order}/queue/me?ticket=${q(ticket)}`,
    });
    expect(resumed.json()).toMatchObject({ status: 'WAITING', rank: 4, ticket });
    const forged = ticket.slice(0, -3) + (ticket.endsWith('AAA') ? 'BBB' : 'AAA');
    expectError(
      await app.inject({ url: `/v1/events/${ids.order}/queue/me?ticket=${q(forged)}` }),
      401,
      'INVALID_TICKET',
    );
    expectError(
      await app.inject({ url: `/v1/events/${ids.input}/queue/me?ticket=${q(ticket)}` }),
      401,
      'INVALID_TICKET',
    );
  });
});

describe('waiting, processing and outcomes', () => {
  it('reports WAITING with the people ahead and an ETA from the live admission rate', async () => {
    for (let i = 0; i < 30; i++) await seedJoin(ids.eta, `w${i}`);
    const view = await me(ids.eta, 'w29');
    expect(view.status).toBe('WAITING');
    expect(view.ahead).toBe(view.rank! - 1);
    expect(view.rank).toBeGreaterThan(10);
    // 2 admissions/s configured; the observed rate (an EWMA over >= 1 s windows) can only
    // lower it, by however much a loaded machine slows admission (status-views.test.ts
    // pins the arithmetic). Within the stock, the poll interval follows the ETA (whole
    // seconds here, exact there): at the ETA plus 750 ms, halfway beyond 10 s.
    expect(view.etaSeconds).toBeGreaterThanOrEqual(Math.ceil(view.ahead! / 2));
    const pollFor = (etaMs: number) => Math.min(etaMs + 750, Math.max(10_000, etaMs / 2));
    // (At most 30 s; each shopper's ceiling lies between 27 and 30 s.)
    const lowest = Math.min(25_000, Math.round(pollFor((view.etaSeconds! - 1) * 1000)));
    const highest = Math.min(30_000, Math.round(pollFor(view.etaSeconds! * 1000)));
    expect(view.pollAfterMs).toBeGreaterThanOrEqual(lowest);
    expect(view.pollAfterMs).toBeLessThanOrEqual(highest);
    // The queue moves: someone ahead is admitted within a couple of seconds.
    const later = await waitFor('the queue to move', async () => {
      const v = await me(ids.eta, 'w29');
      return v.rank! < view.rank! ? v : undefined;
    });
    expect(later.status).toBe('WAITING');
  });

  it('reports PROCESSING once admitted, then ISSUED with the coupon code from the issuer', async () => {
    const joined = Date.now();
    expect((await join(ids.issue, 'ivy')).statusCode).toBe(201);
    const processing = await untilStatus(ids.issue, 'ivy', 'PROCESSING');
    // Asked back after a second, or half as long as the issuer has had the request.
    expect(processing.pollAfterMs).toBeGreaterThanOrEqual(1000);
    expect(processing.pollAfterMs).toBeLessThanOrEqual(Math.max(1000, (Date.now() - joined) / 2));
    expect((await seedRank(ids.issue, 'ivy')).json()).toEqual({ status: 'PROCESSING', rank: null });
    expect((await seedJoin(ids.issue, 'ivy')).json()).toEqual({ status: 'PROCESSING', rank: null });
    const request = await waitFor('the request on Kafka', () =>
      sim.requestsOf(ids.issue).find((r) => r.userId === 'ivy'),
    );
    expect(request).toMatchObject({ tenant: TENANT, policy: { stock: 1000, generation: 1 } });
    const now = new Date().toISOString();
    await sim.publish([
      {
        type: 'IssueResult',
        version: 1,
        requestId: request.requestId,
        tenant: TENANT,
        eventId: ids.issue,
        userId: 'ivy',
        ticket: request.ticket,
        outcome: 'ISSUED',
        coupon: {
          code: 'IVY-0001',
          serial: 1,
          discount: { type: 'percent', percent: 10 },
          validFrom: now,
          validUntil: now,
          issuedAt: now,
        },
        remaining: 999,
        stock: 1000,
        decidedAt: now,
      },
    ]);
    const issued = await untilStatus(ids.issue, 'ivy', 'ISSUED');
    expect(issued).toMatchObject({
      coupon: { code: 'IVY-0001' },
      issuedCount: 1,
      pollAfterMs: null,
    });
    expect((await seedRank(ids.issue, 'ivy')).json()).toEqual({
      status: 'ISSUED',
      rank: null,
      couponCode: 'IVY-0001',
    });
  });

  it('answers ALREADY_ISSUED to a shopper who holds their coupon and tries again', async () => {
    await untilStatus(ids.issue, 'ivy', 'ISSUED');
    const body = expectError(await join(ids.issue, 'ivy'), 409, 'ALREADY_ISSUED');
    expect(body.details).toMatchObject({
      status: { status: 'ISSUED', coupon: { code: 'IVY-0001' } },
    });
    expectError(await seedJoin(ids.issue, 'ivy'), 409, 'ALREADY_ISSUED');
  });

  it("reports the issuer's ALREADY_ISSUED outcome and REJECTED with its reason", async () => {
    await join(ids.already, 'amy');
    await join(ids.rejected, 'rex');
    expect(await untilStatus(ids.already, 'amy', 'ALREADY_ISSUED')).toMatchObject({
      pollAfterMs: null,
    });
    const again = expectError(await join(ids.already, 'amy'), 409, 'ALREADY_ISSUED');
    expect(again.message).toMatch(/already hold the coupons a shopper may get/);
    expect(await untilStatus(ids.rejected, 'rex', 'REJECTED')).toMatchObject({
      reason: 'COUPON_WINDOW_ENDED',
    });
    expect((await seedRank(ids.rejected, 'rex')).json()).toEqual({
      status: 'REJECTED',
      rank: null,
      reason: 'COUPON_WINDOW_ENDED',
    });
  });

  it('lets a shopper with perUserLimit 2 come back for a second coupon, then refuses a third', async () => {
    await join(ids.limit2, 'lou');
    expect((await untilStatus(ids.limit2, 'lou', 'ISSUED')).issuedCount).toBe(1);
    expect((await join(ids.limit2, 'lou')).statusCode).toBe(201);
    await waitFor('the second coupon', async () => (await me(ids.limit2, 'lou')).issuedCount === 2);
    expectError(await join(ids.limit2, 'lou'), 409, 'ALREADY_ISSUED');
    expect(sim.requestsOf(ids.limit2).filter((r) => r.userId === 'lou')).toHaveLength(2);
  });

  it('announces SOLD_OUT to every waiting shopper the moment the stock is confirmed gone', async () => {
    const users = Array.from({ length: 10 }, (_, i) => `s${i}`);
    for (const u of users) await seedJoin(ids.soldOut, u);
    // Stock 2: two are admitted and issued; nobody else is ever admitted.
    await waitFor('both coupons issued', async () => {
      const stats = (
        await admin.inject({ url: `/internal/v1/events/${TENANT}/${ids.soldOut}/stats` })
      ).json();
      return stats.issued === 2 ? stats : undefined;
    });
    const views = await Promise.all(users.map((u) => me(ids.soldOut, u)));
    expect(views.filter((v) => v.status === 'ISSUED')).toHaveLength(2);
    expect(views.filter((v) => v.status === 'SOLD_OUT')).toHaveLength(8);
    expect(views.find((v) => v.status === 'SOLD_OUT')).toMatchObject({
      phase: 'SoldOut',
      pollAfterMs: null,
    });
    expect(sim.requestsOf(ids.soldOut)).toHaveLength(2);
    expectError(await join(ids.soldOut, 'latecomer'), 409, 'SOLD_OUT');
    // The seed's route answers it as a 200, as its clients expect of an answer.
    const seedLate = await seedJoin(ids.soldOut, 'seed-latecomer');
    expect(seedLate.statusCode).toBe(200);
    expect(seedLate.json()).toEqual({ status: 'SOLD_OUT', rank: null });
    expect((await seedRank(ids.soldOut, 'latecomer')).json()).toEqual({
      status: 'SOLD_OUT',
      rank: null,
    });
    const info = (await app.inject({ url: `/v1/events/${ids.soldOut}` })).json();
    expect(info).toMatchObject({ phase: 'SoldOut', soldOut: true, remaining: 0, stock: 2 });
    // Those still in the queue are told SOLD_OUT: none of them is waiting for anything.
    expect(info.waiting).toBe(0);
  });

  it('answers NOT_IN_QUEUE for a shopper who never joined an open event', async () => {
    expect((await me(ids.issue, 'nobody')).status).toBe('NOT_IN_QUEUE');
    expect((await seedRank(ids.issue, 'nobody')).json()).toEqual({
      status: 'NOT_IN_QUEUE',
      rank: null,
    });
  });
});

describe('event phases and refusals', () => {
  it('refuses joins before opening with EVENT_NOT_OPEN and says when it opens', async () => {
    const body = expectError(await join(ids.future, 'early'), 409, 'EVENT_NOT_OPEN');
    expect(body.details).toEqual({ opensAt: events.config(ids.future).schedule.opensAt });
    expectError(await seedJoin(ids.future, 'early'), 409, 'EVENT_NOT_OPEN');
    expect(await me(ids.future, 'early')).toMatchObject({
      status: 'EVENT_NOT_OPEN',
      opensAt: events.config(ids.future).schedule.opensAt,
    });
  });

  it('refuses joins after closing with EVENT_CLOSED, and tells waiting shoppers the event ended', async () => {
    expectError(await join(ids.closed, 'late'), 409, 'EVENT_CLOSED');
    expect(await me(ids.closed, 'late')).toMatchObject({
      status: 'EVENT_CLOSED',
      reason: 'EVENT_ENDED',
    });

    await join(ids.closing, 'waiter');
    expect((await me(ids.closing, 'waiter')).status).toBe('WAITING');
    await events.update(
      g.gate,
      ids.closing,
      (c) => (c.schedule.closesAt = new Date(Date.now() - 1000).toISOString()),
    );
    expect(await me(ids.closing, 'waiter')).toMatchObject({
      status: 'EVENT_CLOSED',
      reason: 'EVENT_ENDED',
      pollAfterMs: null,
    });
    // Nobody left in the queue of an ended sale can get anything: waiting counts 0.
    const stats = (
      await admin.inject({ url: `/internal/v1/events/${TENANT}/${ids.closing}/stats` })
    ).json();
    expect(stats).toMatchObject({ known: true, waiting: 0 });
    expect(await redis.zcard(eventKeys(TENANT, ids.closing).queue)).toBe(1);
  });

  it('closes a deleted event for late pollers (EVENT_DELETED) through the admin API', async () => {
    await join(ids.deleted, 'del');
    const res = await admin.inject({
      method: 'DELETE',
      url: `/internal/v1/events/${TENANT}/${ids.deleted}`,
    });
    expect(res.statusCode).toBe(204);
    expect(await me(ids.deleted, 'del')).toMatchObject({
      status: 'EVENT_CLOSED',
      reason: 'EVENT_DELETED',
    });
    expectError(await join(ids.deleted, 'other'), 409, 'EVENT_CLOSED');
    expect(
      (
        await admin.inject({
          method: 'DELETE',
          url: `/internal/v1/events/${TENANT}/${ids.deleted}`,
        })
      ).statusCode,
    ).toBe(204);
    const stats = (
      await admin.inject({ url: `/internal/v1/events/${TENANT}/${ids.deleted}/stats` })
    ).json();
    expect(stats).toMatchObject({ waiting: 0, deleted: true });
  });

  it('answers for an event that left the config even on a replica that never served it', async () => {
    expect((await join(ids.dropped, 'rob')).statusCode).toBe(201);
    const issued = await untilStatus(ids.dropped, 'rob', 'ISSUED');
    await events.drop(g.gate, ids.dropped);
    // A replica started after the deletion: the event was never in its config.
    const late = await startGate(
      gateEnv(topics, { EVENTS_FILE: events.path(), ENQUEUE_RATE_LIMIT_MAX: '0' }),
    );
    try {
      const status = (user: string) =>
        late.http({ url: `/v1/events/${ids.dropped}/queue/me?userId=${q(user)}` });
      const rob = await status('rob');
      expect(rob.statusCode).toBe(200);
      expect(rob.json()).toMatchObject({ status: 'ISSUED', coupon: issued.coupon });
      expect((await status('nobody')).json()).toMatchObject({
        status: 'EVENT_CLOSED',
        reason: 'EVENT_DELETED',
      });
      expectError(
        await late.http({ method: 'POST', url: `/v1/events/${ids.dropped}/queue?userId=nobody` }),
        409,
        'EVENT_CLOSED',
      );
      expectError(
        await late.http({ method: 'POST', url: '/v1/events/no-such-event/queue?userId=nobody' }),
        404,
        'UNKNOWN_EVENT',
      );
    } finally {
      await late.stop();
    }
  });

  it('answers UNKNOWN_EVENT (404) for an id that is not an event', async () => {
    expectError(await join('no-such-event', 'u'), 404, 'UNKNOWN_EVENT');
    expectError(await seedJoin('no-such-event', 'u'), 404, 'UNKNOWN_EVENT');
    expectError(await seedRank('no-such-event', 'u'), 404, 'UNKNOWN_EVENT');
    expectError(
      await app.inject({ url: '/v1/events/no-such-event/queue/me?userId=u' }),
      404,
      'UNKNOWN_EVENT',
    );
    expectError(await app.inject({ url: '/v1/events/no-such-event' }), 404, 'UNKNOWN_EVENT');
    const stats = (
      await admin.inject({ url: `/internal/v1/events/${TENANT}/no-such-event/stats` })
    ).json();
    expect(stats).toMatchObject({ known: false, waiting: 0, issued: 0, stock: 0 });
  });

  it('refuses with QUEUE_FULL (503 + Retry-After) while maxQueueLength shoppers wait', async () => {
    await join(ids.full, 'f1');
    await join(ids.full, 'f2');
    const res = await join(ids.full, 'f3');
    expectError(res, 503, 'QUEUE_FULL');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect((await join(ids.full, 'f1')).statusCode).toBe(200);
  });

  it('holds everyone in place while paused, and admits them in order once resumed', async () => {
    for (let i = 0; i < 5; i++) await join(ids.paused, `p${i}`);
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.requestsOf(ids.paused)).toHaveLength(0);
    expect(await me(ids.paused, 'p4')).toMatchObject({
      status: 'WAITING',
      phase: 'Paused',
      rank: 5,
      etaSeconds: null,
    });
    expect((await app.inject({ url: `/v1/events/${ids.paused}` })).json()).toMatchObject({
      phase: 'Paused',
      waiting: 5,
    });
    await events.update(g.gate, ids.paused, (c) => (c.admission.mode = 'fifo'));
    await untilStatus(ids.paused, 'p4', 'ISSUED');
    const tickets = sim
      .requestsOf(ids.paused)
      .sort((a, b) => a.ticket - b.ticket)
      .map((r) => r.userId);
    expect(tickets).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('draws a fair random order among the pre-queue, all of it ahead of later arrivals', async () => {
    const early = Array.from({ length: 40 }, (_, i) => `e${String(i).padStart(2, '0')}`);
    for (const u of early) expect((await join(ids.preQueue, u)).statusCode).toBe(201);
    const view = (await join(ids.preQueue, 'e00')).json();
    expect(view).toMatchObject({
      status: 'WAITING',
      preQueue: true,
      rank: null,
      ahead: null,
      phase: 'PreQueue',
    });
    expect((await seedRank(ids.preQueue, 'e00')).json().rank).toBeGreaterThan(0);
    expect(sim.requestsOf(ids.preQueue)).toHaveLength(0);

    await events.update(
      g.gate,
      ids.preQueue,
      (c) => (c.schedule.opensAt = new Date(Date.now() - 1000).toISOString()),
    );
    for (let i = 0; i < 5; i++) await join(ids.preQueue, `late${i}`);
    await waitFor('all 45 admitted', () => sim.requestsOf(ids.preQueue).length === 45);
    const requests = sim.requestsOf(ids.preQueue);
    const earlyRequests = requests.filter((r) => r.userId.startsWith('e'));
    const lateRequests = requests.filter((r) => r.userId.startsWith('late'));
    expect(earlyRequests.every((r) => r.ticket < 2 ** 48)).toBe(true);
    expect(lateRequests.every((r) => r.ticket > 2 ** 48)).toBe(true);
    const lastEarly = Math.max(...earlyRequests.map((r) => Date.parse(r.admittedAt)));
    const firstLate = Math.min(...lateRequests.map((r) => Date.parse(r.admittedAt)));
    expect(lastEarly).toBeLessThanOrEqual(firstLate);
    const drawn = [...earlyRequests].sort((a, b) => a.ticket - b.ticket).map((r) => r.userId);
    expect(drawn).not.toEqual(early);
    expect([...drawn].sort()).toEqual(early);
  });
});

describe('bad input', () => {
  it('refuses malformed ids, unknown parameters and bodies with a 400 JSON error and stores nothing', async () => {
    const k = eventKeys(TENANT, ids.input);
    const cases: [string, string, string?][] = [
      ['POST', `/gate/events/${ids.input}/enqueue?userId=${q('bad user')}`],
      ['POST', `/gate/events/${ids.input}/enqueue?userId=${'x'.repeat(129)}`],
      ['POST', `/gate/events/${ids.input}/enqueue`],
      ['POST', `/gate/events/${ids.input}/enqueue?userId=ok&admin=1`],
      ['POST', `/gate/events/bad%7Bid%7D/enqueue?userId=ok`],
      ['POST', `/v1/events/${ids.input}/queue?userId=ok`, '{"priority":1}'],
      ['POST', `/v1/events/${ids.input}/queue?userId=ok`, '{not json'],
      ['GET', `/v1/events/${ids.input}/queue/me`],
      ['GET', `/gate/events/${ids.input}/rank?userId=a/b`],
    ];
    for (const [method, url, payload] of cases) {
      const res = await app.inject({
        method: method as 'GET' | 'POST',
        url,
        ...(payload ? { payload, headers: { 'content-type': 'application/json' } } : {}),
      });
      expect({ url, status: res.statusCode, code: res.json().code }).toEqual({
        url,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
    const bad = await seedJoin(ids.input, 'bad user');
    expect(bad.json().message).toBe(
      'querystring.userId: may contain only letters, digits and . _ @ : + = -',
    );
    expect(
      (
        await app.inject({
          method: 'POST',
          url: `/gate/events/${ids.input}/enqueue?userId=ok&admin=1`,
        })
      ).json().message,
    ).toBe('querystring.admin: is not a known parameter');
    expect(await redis.exists(k.queue, k.seq, k.results)).toBe(0);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await app.inject({ url: '/gate/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('event page and metrics', () => {
  it('describes an event: schedule, phase, countdown, discount and live counts', async () => {
    const info = (await app.inject({ url: `/v1/events/${ids.future}` })).json();
    const opensAt = events.config(ids.future).schedule.opensAt;
    expect(info).toMatchObject({
      eventId: ids.future,
      displayName: `Event ${ids.future}`,
      phase: 'Scheduled',
      opensAt,
      nextChangeAt: new Date(Date.parse(opensAt)).toISOString(),
      discount: { type: 'percent', percent: 10 },
      stock: 1000,
      remaining: 1000,
      soldOut: false,
      waiting: 0,
    });
    expect(info.secondsToNextChange).toBeGreaterThan(3000);
  });

  it('exposes queue length, admissions, results by outcome and latency histograms', async () => {
    const text = (await admin.inject({ url: '/metrics' })).body;
    const eta = `tenant="${TENANT}",event="${ids.eta}"`;
    expect(text).toMatch(new RegExp(`rediclaim_gate_queue_length\\{${eta}\\} \\d+`));
    expect(text).toMatch(new RegExp(`rediclaim_gate_admitted_total\\{${eta}\\} [1-9]`));
    const of = (id: string) => `tenant="${TENANT}",event="${id}"`;
    expect(text).toMatch(
      new RegExp(`rediclaim_gate_results_total\\{${of(ids.soldOut)},outcome="ISSUED"\\} [1-9]`),
    );
    expect(text).toMatch(
      new RegExp(`rediclaim_gate_results_total\\{${of(ids.rejected)},outcome="REJECTED"\\} [1-9]`),
    );
    expect(text).toMatch(
      new RegExp(`rediclaim_gate_joins_total\\{${of(ids.soldOut)},answer="SOLD_OUT"\\} [1-9]`),
    );
    expect(text).toMatch(
      /rediclaim_gate_http_request_duration_seconds_bucket\{method="POST",route="\/v1\/events\/:eventId\/queue",status_code="201",le="0.05"\} [1-9]/,
    );
    expect(text).toMatch(/rediclaim_gate_admit_duration_seconds_count\{step="send"\} [1-9]/);
    expect(text).toMatch(/rediclaim_gate_config_events 15/);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
  });
});

describe('results from Kafka', () => {
  it('sends a malformed result to the dead-letter topic with its reason and keeps consuming', async () => {
    const kafka = testKafka('api-dl');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.results,
      // Signed as an issuer's: a record the gate must read, not one it refuses unread.
      messages: signedAsIssuer([{ key: 'k', value: Buffer.from('{"type":"IssueResult"}') }]),
    });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: uniqueName('dl-reader') });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.deadLetters, fromBeginning: true });
    const letters: Record<string, unknown>[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => void letters.push(JSON.parse(message.value!.toString())),
    });
    try {
      const letter = await waitFor('a dead letter', () => letters[0]);
      expect(letter).toMatchObject({
        type: 'DeadLetter',
        reason: { code: 'INVALID_MESSAGE' },
        service: 'gate',
        payload: '{"type":"IssueResult"}',
        source: { topic: topics.results, key: 'k' },
      });
    } finally {
      await consumer.disconnect();
    }
    // The consumer still records results after it.
    await join(ids.rejected, 'after-dl');
    await untilStatus(ids.rejected, 'after-dl', 'REJECTED');
  });
});
