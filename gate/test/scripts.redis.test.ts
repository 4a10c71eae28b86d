import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Redis } from 'ioredis';
import { eventKeys, type EventKeys } from '@rediclaim/core';
import { testRedis, uniqueName } from '@rediclaim/hack/testing';
import {
  GateScripts,
  scriptKeys,
  type AdmitReply,
  type Backpressure,
  type RecordResultArgs,
  type StaleReply,
} from '@rediclaim/gate';

/**
 * The Lua scripts against the real Redis of the test stack, through the gate's script
 * layer: atomicity, idempotency, fair order, the fleet-wide token bucket on Redis time,
 * stock-aware admission, requeue at original tickets, idempotent results, derived
 * sold-out, tombstones.
 */
const BASE = 2 ** 48;
let redis: Redis;
let scripts: GateScripts;

beforeAll(() => {
  redis = testRedis();
  scripts = new GateScripts(redis);
});
afterAll(async () => {
  await redis.quit();
});

function keysOf(k: EventKeys) {
  return {
    enqueue: (
      userId: string,
      o: { stock?: number; limit?: number; max?: number; pre?: string; uid?: string } = {},
    ) =>
      scripts.enqueue(k, {
        userId,
        stock: o.stock ?? 100,
        perUserLimit: o.limit ?? 1,
        maxQueueLength: o.max ?? 1_000_000,
        preQueueTicket: o.pre ?? '',
        uid: o.uid ?? '',
      }),
    status: (userId: string, stock: number | '' = 100, uid = '') =>
      scripts.status(k, { userId, stock, uid }),
    admitFor: (uid: string) =>
      scripts.admit(k, {
        rate: 1_000,
        burst: 1_000,
        stock: 100,
        timeoutMs: 30_000,
        batchMax: 1_000,
        uid,
        admitNew: true,
      }),
    admit: (
      o: {
        rate?: number;
        burst?: number;
        stock?: number;
        timeoutMs?: number;
        batch?: number;
        admitNew?: boolean;
        backpressure?: Backpressure;
      } = {},
    ) =>
      scripts
        .admit(k, {
          rate: o.rate ?? 1_000,
          burst: o.burst ?? 1_000,
          stock: o.stock ?? 100,
          timeoutMs: o.timeoutMs ?? 30_000,
          batchMax: o.batch ?? 1_000,
          uid: '',
          admitNew: o.admitNew !== false,
          ...(o.backpressure ? { backpressure: o.backpressure } : {}),
        })
        .then(admitted),
    requeueStale: () => scripts.requeueStale(k, 1000),
    requeueFailed: (...pairs: string[]) => {
      const shoppers = [];
      for (let i = 0; i < pairs.length; i += 2)
        shoppers.push({ userId: pairs[i]!, ticket: Number(pairs[i + 1]) });
      return scripts.requeueFailed(k, shoppers);
    },
    stats: () => scripts.stats(k),
    record: (userId: string, ticket: string, outcome: string, o: ResultOptions = {}) =>
      scripts.recordResult(k, resultArgs(userId, ticket, outcome, o)),
    retire: (uid = '*') => scripts.retire(k, { uid, retentionSeconds: 600 }),
    /** One coupon lifecycle event applied (serial 1, code C-1, holder `userId`). */
    couponEvent: (
      sequence: number,
      state: 'REDEEMED' | 'AVAILABLE',
      o: { userId?: string; serial?: number; uid?: string } = {},
    ) =>
      scripts
        .applyCouponEvents([
          {
            keys: k,
            args: {
              field: `${o.serial ?? 1}:C-${o.serial ?? 1}`,
              userId: o.userId ?? 'holder',
              sequence,
              state,
              at: new Date(1_800_000_000_000 + sequence).toISOString(),
              uid: o.uid ?? '',
              retentionSeconds: 600,
            },
          },
        ])
        .then(([reply]) => reply!),
    redeemed: async () => Number(await redis.hget(k.stats, 'redeemed')),
  };
}

interface ResultOptions {
  stock?: number;
  remaining?: number;
  code?: string;
  uid?: string;
}

/** A result as the results consumer hands it to the script layer. */
function resultArgs(
  userId: string,
  ticket: string,
  outcome: string,
  o: ResultOptions = {},
): RecordResultArgs {
  return {
    userId,
    uid: o.uid ?? '',
    ticket: Number(ticket),
    outcome,
    resultJson: JSON.stringify({
      ticket: Number(ticket),
      status: outcome,
      ...(o.code ? { coupon: { code: o.code } } : {}),
      decidedAt: new Date().toISOString(),
    }),
    stock: o.stock ?? 100,
    remaining: o.remaining ?? 50,
    retentionSeconds: 600,
  };
}

function freshEvent() {
  const k = eventKeys('scripts', uniqueName('ev'));
  return { k, s: keysOf(k) };
}

/** An admit reply that admitted (not STALE: these keys hold one sale). */
function admitted(reply: AdmitReply | StaleReply): AdmitReply {
  if (reply.kind !== 'ADMITTED') throw new Error(`admit answered ${JSON.stringify(reply)}`);
  return reply;
}

/** The admitted shoppers as [userId, ticket] pairs, tickets as Redis holds them. */
const pairsOf = (reply: AdmitReply): [string, string][] =>
  reply.shoppers.map((a) => [a.userId, String(a.ticket)]);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A place in a sale nobody was admitted to yet: no rate measured, nothing issued or in flight. */
const queued = (rank: number, ticket: number, joinedNow: boolean) => ({
  kind: 'QUEUED',
  rank,
  ticket,
  rate: '',
  rateAt: '',
  issued: 0,
  inflight: 0,
  joinedNow,
});
const inflight = (ticket: string) => ({ kind: 'INFLIGHT', ticket: Number(ticket) });

describe('enqueue script', () => {
  it('gives each shopper one place, in arrival order, and answers a second join with the same place', async () => {
    const { s } = freshEvent();
    expect(await s.enqueue('alice')).toEqual(queued(1, BASE + 1, true));
    expect(await s.enqueue('bob')).toEqual(queued(2, BASE + 2, true));
    expect(await s.enqueue('alice')).toEqual(queued(1, BASE + 1, false));
  });

  it('stays one place per shopper under a burst of concurrent joins', async () => {
    const { k, s } = freshEvent();
    const users = Array.from({ length: 200 }, (_, i) => `u${i}`);
    const replies = await Promise.all([...users, ...users, ...users].map((u) => s.enqueue(u)));
    expect(replies.filter((r) => r.kind === 'QUEUED' && r.joinedNow)).toHaveLength(200);
    expect(await redis.zcard(k.queue)).toBe(200);
    expect(await redis.get(k.seq)).toBe('200');
    const ranks = new Set(replies.map((r) => (r.kind === 'QUEUED' ? r.rank : undefined)));
    expect(ranks.size).toBe(200);
  });

  it("answers a join with the sale's counts, as the status script does, for the poll interval", async () => {
    const { s } = freshEvent();
    for (let i = 0; i < 4; i++) await s.enqueue(`u${i}`);
    await s.admit(); // the bucket starts empty
    await pause(20);
    const admitted = pairsOf(await s.admit({ batch: 2 }));
    await s.record(...admitted[0]!, 'ISSUED', { stock: 100, remaining: 99 });
    const join = await s.enqueue('late');
    expect(join).toMatchObject({
      kind: 'QUEUED',
      rank: 3,
      joinedNow: true,
      issued: 1,
      inflight: 1,
    });
    expect(await s.enqueue('late')).toMatchObject({ joinedNow: false, issued: 1, inflight: 1 });
    // Both scripts read the same counters: the join's answer is the poll's.
    const { joinedNow: _, ...place } = join as Extract<typeof join, { kind: 'QUEUED' }>;
    expect(await s.status('late')).toEqual(place);
  });

  it('puts every pre-queue shopper (random tickets) ahead of later arrivals', async () => {
    const { k, s } = freshEvent();
    await s.enqueue('early-1', { pre: String(2 ** 47) });
    await s.enqueue('early-2', { pre: '5' });
    await s.enqueue('late');
    expect(await redis.zrange(k.queue, 0, '-1')).toEqual(['early-2', 'early-1', 'late']);
  });

  it('refuses with FULL once maxQueueLength shoppers wait', async () => {
    const { s } = freshEvent();
    await s.enqueue('a', { max: 2 });
    await s.enqueue('b', { max: 2 });
    expect(await s.enqueue('c', { max: 2 })).toEqual({ kind: 'FULL', waiting: 2 });
    expect(await s.enqueue('a', { max: 2 })).toEqual(queued(1, BASE + 1, false));
  });
});

describe('admit script', () => {
  it('starts with an empty bucket and never admits more than rate x elapsed + burst, by Redis time', async () => {
    const { s } = freshEvent();
    for (let i = 0; i < 400; i++) await s.enqueue(`u${i}`, { stock: 10_000 });
    const first = await s.admit({ rate: 200, burst: 20, stock: 10_000 });
    expect(pairsOf(first)).toHaveLength(0);
    const t0 = Number((await redis.time())[0]) * 1000 + Number((await redis.time())[1]) / 1000;
    let admitted = 0;
    const started = Date.now();
    while (Date.now() - started < 1_000) {
      admitted += pairsOf(await s.admit({ rate: 200, burst: 20, stock: 10_000 })).length;
      await new Promise((r) => setTimeout(r, 5));
    }
    const [sec, usec] = await redis.time();
    const elapsed = (Number(sec) * 1000 + Number(usec) / 1000 - t0) / 1000;
    expect(admitted).toBeLessThanOrEqual(Math.ceil(200 * elapsed) + 20);
    expect(admitted).toBeGreaterThanOrEqual(Math.floor(200 * elapsed * 0.9) - 20);
  });

  it('admits in ticket order and never more than the stock not yet confirmed', async () => {
    const { k, s } = freshEvent();
    for (let i = 0; i < 10; i++) await s.enqueue(`u${i}`, { stock: 3 });
    await new Promise((r) => setTimeout(r, 20));
    await s.admit({ stock: 3 });
    await new Promise((r) => setTimeout(r, 20));
    const reply = await s.admit({ stock: 3 });
    const first = pairsOf(reply);
    expect(first.map(([u]) => u)).toEqual(['u0', 'u1', 'u2']);
    expect(reply).toMatchObject({ waiting: 7, soldOut: false, processing: 3 });
    expect(pairsOf(await s.admit({ stock: 3 }))).toHaveLength(0);
    // One issued, confirmed: issued 1 + in flight 2 = stock, still nothing to admit.
    expect(await s.record('u0', first[0]![1], 'ISSUED', { stock: 3, remaining: 2 })).toBe(
      'recorded',
    );
    expect(pairsOf(await s.admit({ stock: 3 }))).toHaveLength(0);
    // A rejection frees its unit of stock: exactly one more is admitted, the next in order.
    await s.record('u1', first[1]![1], 'REJECTED', { stock: 3, remaining: 2 });
    await new Promise((r) => setTimeout(r, 5));
    expect(pairsOf(await s.admit({ stock: 3 })).map(([u]) => u)).toEqual(['u3']);
    expect(await redis.hlen(k.inflight)).toBe(2);
  });

  it('answers sold out and admits nobody once every coupon is confirmed', async () => {
    const { s } = freshEvent();
    for (let i = 0; i < 3; i++) await s.enqueue(`u${i}`, { stock: 1 });
    await s.admit({ stock: 1 });
    await new Promise((r) => setTimeout(r, 10));
    const [[user, ticket]] = pairsOf(await s.admit({ stock: 1 })) as [[string, string]];
    await s.record(user, ticket, 'ISSUED', { stock: 1, remaining: 0 });
    const reply = await s.admit({ stock: 1 });
    expect(reply.soldOut).toBe(true);
    expect(pairsOf(reply)).toHaveLength(0);
  });
});

describe('admit script: backpressure', () => {
  // Short ages so the test runs in a second; the gate's default overdue age is 3 s.
  const bp: Backpressure = { overdueMs: 300, floor: 0.2, cut: 0.5, recoveryPerSecond: 1 };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /**
   * 40 shoppers admitted and left without a result: an issuer that stopped answering.
   * The probes after it admit nobody new (admitNew false), so the overdue stay these 40.
   */
  async function withUnanswered(s: ReturnType<typeof keysOf>) {
    for (let i = 0; i < 60; i++) await s.enqueue(`u${i}`, { stock: 10_000 });
    // The bucket starts empty at the first call; 60 ms later it holds 60 tokens.
    await s.admit({ stock: 10_000, admitNew: false, backpressure: bp });
    await sleep(60);
    const first = await s.admit({ stock: 10_000, batch: 40, backpressure: bp });
    expect(first.shoppers).toHaveLength(40);
    expect(first).toMatchObject({ allowed: 1, overdue: 0, slowed: false });
    return first.shoppers;
  }

  it('halves the allowed rate once more than a few admissions are overdue, at most once per overdue age, down to the floor', async () => {
    const { s, k } = freshEvent();
    await withUnanswered(s);
    await sleep(350);
    const cut = await s.admit({ stock: 10_000, admitNew: false, backpressure: bp });
    expect(cut).toMatchObject({ allowed: 0.5, overdue: 40, slowed: true });
    // Right after a cut its effect cannot show yet: no second cut.
    expect(await s.admit({ stock: 10_000, admitNew: false, backpressure: bp })).toMatchObject({
      allowed: 0.5,
      slowed: false,
    });
    await sleep(320);
    expect(await s.admit({ stock: 10_000, admitNew: false, backpressure: bp })).toMatchObject({
      allowed: 0.25,
      slowed: true,
    });
    await sleep(320);
    expect(await s.admit({ stock: 10_000, admitNew: false, backpressure: bp })).toMatchObject({
      allowed: 0.2,
      slowed: true,
    });
    const stats = (await s.stats()).fields;
    expect(stats.get('slowdowns')).toBe('3');
    expect(stats.get('allowOverdue')).toBe('40');
    expect(Number(stats.get('allowSlowSince'))).toBeGreaterThan(0);
    expect(await redis.exists(k.limiter)).toBe(1);
  });

  it('is not slowed by a few overdue shoppers (a dead letter awaiting its timeout)', async () => {
    const { s } = freshEvent();
    for (let i = 0; i < 8; i++) await s.enqueue(`u${i}`, { stock: 10_000 });
    await s.admit({ stock: 10_000, admitNew: false, backpressure: bp });
    await sleep(20);
    await s.admit({ stock: 10_000, backpressure: bp });
    await sleep(350);
    expect(await s.admit({ stock: 10_000, backpressure: bp })).toMatchObject({
      allowed: 1,
      overdue: 8,
      slowed: false,
    });
  });

  it('fills the bucket at the allowed share of the rate while slowed', async () => {
    const { s } = freshEvent();
    await withUnanswered(s);
    await sleep(350);
    for (let i = 0; i < 400; i++) await s.enqueue(`w${i}`, { stock: 10_000 });
    // Cut to 0.5 of 200/s; then count what a second of calls admits: about 100, not 200.
    const options = { rate: 200, burst: 5, stock: 10_000, backpressure: bp };
    expect(await s.admit(options)).toMatchObject({ allowed: 0.5, slowed: true });
    const started = Date.now();
    let admittedNow = 0;
    while (Date.now() - started < 1_000) {
      const reply = await s.admit(options);
      // The next cut (0.25) is due 300 ms after this one: keep the first window's share.
      if (reply.allowed !== 0.5) break;
      admittedNow += reply.shoppers.length;
      await sleep(20);
    }
    const elapsed = (Date.now() - started) / 1000;
    expect(admittedNow).toBeLessThanOrEqual(Math.ceil(100 * elapsed) + 5);
    expect(admittedNow).toBeGreaterThanOrEqual(Math.floor(100 * elapsed * 0.8) - 5);
  });

  it('regains the rate step by step once issuance keeps up, and forgets the slowdown at the whole rate', async () => {
    const { s, k } = freshEvent();
    const unanswered = await withUnanswered(s);
    await sleep(350);
    expect(await s.admit({ stock: 10_000, admitNew: false, backpressure: bp })).toMatchObject({
      allowed: 0.5,
    });
    // The issuer catches up: every admission gets its result.
    const inFlight = await redis.hgetall(k.inflight);
    for (const [userId, ticket] of Object.entries(inFlight))
      await s.record(userId, ticket, 'ISSUED', { stock: 10_000, remaining: 9_000 });
    expect(unanswered.length).toBeGreaterThan(0);
    await sleep(320);
    const first = await s.admit({ stock: 10_000, admitNew: false, backpressure: bp });
    expect(first.overdue).toBe(0);
    expect(first.allowed).toBeGreaterThan(0.5);
    let last = first;
    for (let i = 0; i < 40 && last.allowed < 1; i++) {
      await sleep(50);
      const next = await s.admit({ stock: 10_000, admitNew: false, backpressure: bp });
      expect(next.allowed).toBeGreaterThanOrEqual(last.allowed);
      last = next;
    }
    expect(last.allowed).toBe(1);
    const stats = (await s.stats()).fields;
    expect(stats.has('allowFactor')).toBe(false);
    expect(stats.has('allowSlowSince')).toBe(false);
    expect(stats.get('slowdowns')).toBe('1');
  });
});

describe('requeue scripts and re-sends', () => {
  it('keeps overdue admissions in flight and sends them again first, at their original tickets', async () => {
    const { k, s } = freshEvent();
    for (let i = 0; i < 5; i++) await s.enqueue(`u${i}`);
    await s.admit();
    await new Promise((r) => setTimeout(r, 10));
    const admitted = pairsOf(await s.admit({ timeoutMs: 1, burst: 3 }));
    expect(admitted.map(([u]) => u)).toEqual(['u0', 'u1', 'u2']);
    await s.enqueue('late');
    await new Promise((r) => setTimeout(r, 5));
    expect(await s.requeueStale()).toEqual({ moved: ['u0', 'u1', 'u2'], retrying: 3 });
    // Their requests may be with the issuer: still in flight, never back in the queue.
    expect(await redis.zrange(k.queue, 0, '-1')).toEqual(['u3', 'u4', 'late']);
    expect(await redis.zrange(k.retry, 0, '-1', 'WITHSCORES')).toEqual(admitted.flat());
    expect(await redis.hlen(k.inflight)).toBe(3);
    expect(await redis.zcard(k.deadlines)).toBe(0);
    expect(await s.status('u0')).toMatchObject(inflight(admitted[0]![1]));
    expect(await s.enqueue('u0')).toEqual(inflight(admitted[0]![1]));
    expect(await s.stats()).toMatchObject({ waiting: 3, processing: 3 });

    // Re-sends go first and take tokens like admissions: burst 4 = the 3 retries + u3.
    await new Promise((r) => setTimeout(r, 10));
    const reply = await s.admit({ burst: 4 });
    expect(reply.resent).toBe(3);
    expect(pairsOf(reply)).toEqual([...admitted, ['u3', String(BASE + 4)]]);
    expect(await redis.zcard(k.retry)).toBe(0);
    expect(await redis.zcard(k.deadlines)).toBe(4);
    // Only first admissions count as admitted; re-sends are counted apart.
    expect(await redis.hmget(k.stats, 'admittedTotal', 'resent', 'requeuedTimeout')).toEqual([
      '4',
      '3',
      '3',
    ]);
  });

  it('keeps a failed send in flight for a re-send, only while the shopper is still in flight with that ticket', async () => {
    const { k, s } = freshEvent();
    for (let i = 0; i < 3; i++) await s.enqueue(`u${i}`);
    await s.admit();
    await new Promise((r) => setTimeout(r, 10));
    const admitted = pairsOf(await s.admit());
    await s.record('u1', admitted[1]![1], 'ISSUED', { code: 'X' });
    const back = await s.requeueFailed(...admitted.flat());
    expect(back).toBe(2);
    expect(await redis.zcard(k.queue)).toBe(0);
    expect(await redis.zrange(k.retry, 0, '-1')).toEqual(['u0', 'u2']);
    expect(await redis.hkeys(k.inflight)).toEqual(['u0', 'u2']);
    expect(await redis.zcard(k.deadlines)).toBe(0);
    expect(await redis.hget(k.stats, 'requeuedFailed')).toBe('2');
  });

  it('sends a retry again when the event is sold out, never says SOLD_OUT to it, and admits nobody new', async () => {
    const { k, s } = freshEvent();
    for (const u of ['a', 'b', 'c']) await s.enqueue(u, { stock: 2 });
    await s.admit({ stock: 2 });
    await new Promise((r) => setTimeout(r, 10));
    const [a, b] = pairsOf(await s.admit({ stock: 2 })) as [[string, string], [string, string]];
    expect([a[0], b[0]]).toEqual(['a', 'b']);
    // a's send "failed", though the broker stored it and the issuer issued a the last
    // coupon but one; b's result (the last coupon) arrives first.
    expect(await s.requeueFailed(...a)).toBe(1);
    await s.record('b', b[1], 'ISSUED', { stock: 2, remaining: 0, code: 'B' });
    expect(await s.status('a', 2)).toMatchObject(inflight(a[1]));
    expect(await s.status('c', 2)).toEqual({ kind: 'SOLD_OUT' });
    expect(await s.enqueue('a', { stock: 2 })).toEqual(inflight(a[1]));

    await new Promise((r) => setTimeout(r, 5));
    const reply = await s.admit({ stock: 2 });
    expect(reply).toMatchObject({ waiting: 0, soldOut: true, processing: 1, resent: 1 });
    expect(pairsOf(reply)).toEqual([a]);
    expect(await redis.zrange(k.queue, 0, '-1')).toEqual(['c']);

    // The issuer's answer to a's request (first delivery or re-send) ends the admission.
    expect(await s.record('a', a[1], 'ISSUED', { stock: 2, remaining: 0, code: 'A' })).toBe(
      'recorded',
    );
    expect(await redis.hlen(k.inflight)).toBe(0);
    expect(await redis.zcard(k.retry)).toBe(0);
    expect(await redis.zcard(k.deadlines)).toBe(0);
    expect((await s.status('a', 2)).kind).toBe('RESULT');
  });

  it('keeps the unit of stock a retry holds: nobody new is admitted in its place', async () => {
    const { k, s } = freshEvent();
    for (const u of ['a', 'b', 'c']) await s.enqueue(u, { stock: 2 });
    await s.admit({ stock: 2 });
    await new Promise((r) => setTimeout(r, 10));
    const admitted = pairsOf(await s.admit({ stock: 2 }));
    expect(await s.requeueFailed(...admitted.flat())).toBe(2);
    await new Promise((r) => setTimeout(r, 5));
    expect(pairsOf(await s.admit({ stock: 2 }))).toEqual(admitted);
    expect(await redis.zrange(k.queue, 0, '-1')).toEqual(['c']);
  });

  it('sends only retries when the event takes nobody new (paused, closed)', async () => {
    const { k, s } = freshEvent();
    for (const u of ['x', 'y']) await s.enqueue(u);
    await s.admit();
    await new Promise((r) => setTimeout(r, 10));
    const [x] = pairsOf(await s.admit({ batch: 1 })) as [[string, string]];
    await s.requeueFailed(...x);
    await new Promise((r) => setTimeout(r, 5));
    const reply = await s.admit({ admitNew: false });
    expect(pairsOf(reply)).toEqual([x]);
    expect(reply.resent).toBe(1);
    expect(await redis.zrange(k.queue, 0, '-1')).toEqual(['y']);
  });
});

describe('the oldest admission in flight (admit reply)', () => {
  it('is 0 while nobody is in flight, and grows from the first admission through re-sends', async () => {
    const { k, s } = freshEvent();
    expect((await s.admit()).oldestAgeMs).toBe(0);
    for (const u of ['a', 'b']) await s.enqueue(u);
    await pause(10);
    const [a] = pairsOf(await s.admit({ batch: 1 })) as [[string, string]];
    expect(await redis.zrange(k.admittedAt, 0, '-1')).toEqual(['a']);
    await pause(150);
    // b is admitted now; a, admitted 150 ms ago, is still the oldest.
    const second = await s.admit();
    expect(pairsOf(second).map(([u]) => u)).toEqual(['b']);
    expect(second.oldestAgeMs).toBeGreaterThanOrEqual(140);
    expect(second.oldestAgeMs).toBeLessThan(5_000);
    // A failed send and its re-send keep a's admission time: a waited all along.
    await s.requeueFailed(...a);
    await pause(100);
    const resent = await s.admit();
    expect(resent.resent).toBe(1);
    expect(resent.oldestAgeMs).toBeGreaterThanOrEqual(second.oldestAgeMs + 90);
  });

  it("moves to the next shopper once the oldest one's result is recorded, and is 0 once all are", async () => {
    const { k, s } = freshEvent();
    await s.admit(); // the bucket starts empty
    await s.enqueue('first');
    await pause(10);
    const [first] = pairsOf(await s.admit()) as [[string, string]];
    await pause(200);
    await s.enqueue('second');
    const [second] = pairsOf(await s.admit()) as [[string, string]];
    expect((await s.admit()).oldestAgeMs).toBeGreaterThanOrEqual(190);
    await s.record(...first, 'ISSUED', { code: 'F' });
    const after = await s.admit();
    expect(after.oldestAgeMs).toBeLessThan(190);
    await s.record(...second, 'ISSUED', { code: 'S' });
    expect((await s.admit()).oldestAgeMs).toBe(0);
    expect(await redis.exists(k.admittedAt)).toBe(0);
  });

  it('drops entries of shoppers no longer in flight (answered by an older gate), and retire deletes the key', async () => {
    const { k, s } = freshEvent();
    await s.admit(); // the bucket starts empty
    await s.enqueue('kept');
    await pause(10);
    expect(pairsOf(await s.admit())).toHaveLength(1);
    // An entry whose shopper is not in flight, older than everyone's.
    await redis.zadd(k.admittedAt, 1, 'gone');
    const reply = await s.admit();
    expect(reply.oldestAgeMs).toBeLessThan(5_000);
    expect(await redis.zrange(k.admittedAt, 0, '-1')).toEqual(['kept']);
    await s.retire();
    expect(await redis.exists(k.admittedAt)).toBe(0);
  });
});

describe('status script', () => {
  it("answers a waiting shopper with the fleet's rate and the sale's counts, none in a new sale", async () => {
    const { s } = freshEvent();
    for (const u of ['a', 'b']) await s.enqueue(u);
    expect(await s.status('b')).toEqual({
      kind: 'QUEUED',
      rank: 2,
      ticket: BASE + 2,
      rate: '',
      rateAt: '',
      issued: 0,
      inflight: 0,
    });
  });

  it('counts the coupons confirmed and the shoppers in flight, retries included', async () => {
    const { s } = freshEvent();
    for (let i = 0; i < 6; i++) await s.enqueue(`u${i}`);
    await s.admit(); // the bucket starts empty
    await pause(20);
    const admitted = pairsOf(await s.admit({ batch: 3 }));
    expect(admitted.map(([u]) => u)).toEqual(['u0', 'u1', 'u2']);
    await s.record(...admitted[0]!, 'ISSUED', { stock: 100, remaining: 99 });
    // u1's send failed: in the retry set, still in flight.
    await s.requeueFailed(...admitted[1]!);
    const reply = await s.status('u5');
    expect(reply).toMatchObject({ kind: 'QUEUED', rank: 3, issued: 1, inflight: 2 });
    // The admissions opened the first window of the rate's measurement: no rate yet.
    expect(reply).toMatchObject({ rate: '' });
    expect(reply.kind === 'QUEUED' && reply.rateAt).toMatch(/^\d+$/);
  });

  it('takes confirmed issuance from the counter results keep, out of order included', async () => {
    const { s } = freshEvent();
    await s.enqueue('waiting', { stock: 10 });
    await s.record('x', String(BASE + 100), 'ISSUED', { stock: 10, remaining: 6 });
    // An older decision arriving late does not lower what is confirmed.
    await s.record('y', String(BASE + 99), 'ISSUED', { stock: 10, remaining: 8 });
    expect(await s.status('waiting', 10)).toMatchObject({ kind: 'QUEUED', issued: 4 });
  });

  it('tells how long an admitted shopper has been in flight, re-sends not resetting it', async () => {
    const { s } = freshEvent();
    await s.enqueue('u');
    await s.admit();
    await pause(10);
    const [u] = pairsOf(await s.admit()) as [[string, string]];
    await pause(200);
    const first = await s.status('u');
    expect(first).toMatchObject(inflight(u[1]));
    const age = first.kind === 'INFLIGHT' ? first.ageMs! : NaN;
    expect(age).toBeGreaterThanOrEqual(190);
    expect(age).toBeLessThan(5_000);
    await s.requeueFailed(...u);
    await pause(50);
    expect((await s.admit()).resent).toBe(1);
    const resent = await s.status('u');
    expect(resent.kind === 'INFLIGHT' && resent.ageMs).toBeGreaterThanOrEqual(age + 40);
  });

  it('gives no age for an admission whose time was not recorded (admitted by an older gate)', async () => {
    const { k, s } = freshEvent();
    await s.enqueue('u');
    await s.admit();
    await pause(10);
    const [u] = pairsOf(await s.admit()) as [[string, string]];
    await redis.zrem(k.admittedAt, 'u');
    expect(await s.status('u')).toEqual(inflight(u[1]));
  });
});

describe('recordResults script', () => {
  it('records a result once: a redelivery changes nothing', async () => {
    const { k, s } = freshEvent();
    await s.enqueue('u');
    await s.admit();
    await new Promise((r) => setTimeout(r, 10));
    const [[, ticket]] = pairsOf(await s.admit()) as [[string, string]];
    expect(await s.record('u', ticket, 'ISSUED', { code: 'ABC', remaining: 99 })).toBe('recorded');
    expect(await s.record('u', ticket, 'ISSUED', { code: 'ABC', remaining: 99 })).toBe('duplicate');
    expect(await redis.hget(k.stats, 'outcome:ISSUED')).toBe('1');
    expect(await redis.hget(k.stats, 'issued')).toBe('1');
    const stored = JSON.parse((await redis.hget(k.results, 'u'))!);
    expect(stored).toMatchObject({ issuedCount: 1, ticket: Number(ticket), status: 'ISSUED' });
    expect(stored.ticket).toBe(BASE + 1);
    expect(await redis.ttl(k.results)).toBeGreaterThan(500);
  });

  it("never replaces a shopper's coupon with the outcome of a later try, and counts their coupons", async () => {
    const { k, s } = freshEvent();
    await s.enqueue('u', { limit: 2 });
    await s.record('u', String(BASE + 1), 'ISSUED', { code: 'FIRST' });
    expect(await s.enqueue('u', { limit: 2 })).toMatchObject({
      kind: 'QUEUED',
      rank: 1,
      ticket: BASE + 2,
      joinedNow: true,
    });
    await s.record('u', String(BASE + 2), 'ISSUED', { code: 'SECOND' });
    expect(await redis.zcard(k.queue)).toBe(0);
    expect(JSON.parse((await redis.hget(k.results, 'u'))!)).toMatchObject({ issuedCount: 2 });
    expect((await s.enqueue('u', { limit: 2 })).kind).toBe('RESULT');
    await s.record('u', String(BASE + 9), 'SOLD_OUT');
    const stored = JSON.parse((await redis.hget(k.results, 'u'))!);
    expect(stored).toMatchObject({ status: 'ISSUED', issuedCount: 2, coupon: { code: 'SECOND' } });
    // An older result arriving late is ignored.
    expect(await s.record('u', String(BASE + 2), 'SOLD_OUT')).toBe('duplicate');
  });

  it('derives sold out from confirmed results, and a raised stock reopens the sale', async () => {
    const { s } = freshEvent();
    await s.enqueue('waiting', { stock: 2 });
    await s.record('x', String(BASE + 100), 'ISSUED', { stock: 2, remaining: 1 });
    expect((await s.status('waiting', 2)).kind).toBe('QUEUED');
    await s.record('y', String(BASE + 101), 'ISSUED', { stock: 2, remaining: 0 });
    expect(await s.status('waiting', 2)).toEqual({ kind: 'SOLD_OUT' });
    expect(await s.enqueue('newcomer', { stock: 2 })).toEqual({ kind: 'SOLD_OUT' });
    expect((await s.status('waiting', 5)).kind).toBe('QUEUED');
    expect((await s.enqueue('newcomer', { stock: 5 })).kind).toBe('QUEUED');
  });
});

describe('recordResults script, many results a call', () => {
  it('answers each result of one call on its own, in order, as one call each would', async () => {
    const { k, s } = freshEvent();
    for (const u of ['a', 'b', 'c']) await s.enqueue(u, { stock: 3 });
    await s.admit({ stock: 3 });
    await new Promise((r) => setTimeout(r, 10));
    const [a, b, c] = pairsOf(await s.admit({ stock: 3 })) as [string, string][];
    const batch = [
      { keys: k, args: resultArgs(a![0], a![1], 'ISSUED', { stock: 3, remaining: 2, code: 'A' }) },
      { keys: k, args: resultArgs(b![0], b![1], 'ISSUED', { stock: 3, remaining: 1, code: 'B' }) },
      // The same result twice in one batch: the second is a duplicate already.
      { keys: k, args: resultArgs(b![0], b![1], 'ISSUED', { stock: 3, remaining: 1, code: 'B' }) },
      { keys: k, args: resultArgs(c![0], c![1], 'SOLD_OUT', { stock: 3, remaining: 0 }) },
    ];
    expect(await scripts.recordResults(batch, 200)).toEqual([
      'recorded',
      'recorded',
      'duplicate',
      'recorded',
    ]);
    expect(await redis.hlen(k.inflight)).toBe(0);
    expect(await redis.zcard(k.deadlines)).toBe(0);
    expect(await redis.hmget(k.stats, 'outcome:ISSUED', 'outcome:SOLD_OUT', 'issued')).toEqual([
      '2',
      '1',
      '3',
    ]);
    expect(await s.status('d', 3)).toEqual({ kind: 'SOLD_OUT' });
    // The whole batch delivered again changes nothing.
    const before = await redis.hgetall(k.results);
    expect(await scripts.recordResults(batch, 200)).toEqual(Array(4).fill('duplicate'));
    expect(await redis.hgetall(k.results)).toEqual(before);
    expect(await redis.hget(k.stats, 'outcome:ISSUED')).toBe('2');
  });

  it("keeps apart, in one call, a retired sale's late answers and a deleted event's", async () => {
    const { k, s } = freshEvent();
    await s.enqueue('holder', { uid: 'old' });
    await s.retire('old');
    const replies = await scripts.recordResults(
      [
        { keys: k, args: resultArgs('holder', String(BASE + 1), 'ISSUED', { uid: 'old' }) },
        // No sale named (an older issuer): the deleted event's, closed.
        { keys: k, args: resultArgs('stranger', String(BASE + 2), 'SOLD_OUT') },
      ],
      200,
    );
    expect(replies).toEqual(['former', 'deleted']);
    expect(await redis.hlen(k.results)).toBe(0);
    expect(await s.status('holder', '', '')).toMatchObject({ kind: 'FORMER', uid: 'old' });
  });

  it('makes one call per event and chunk, all in one round trip, and answers in the order given', async () => {
    const events = [freshEvent(), freshEvent()];
    const calls = Array.from({ length: 7 }, (_, i) => ({
      keys: events[i % 2]!.k,
      args: resultArgs(`u${i}`, String(BASE + i + 1), i === 3 ? 'REJECTED' : 'SOLD_OUT'),
    }));
    const pipeline = redis.pipeline.bind(redis);
    const sizes: number[] = [];
    let pipelines = 0;
    const spy = jest.spyOn(redis, 'pipeline').mockImplementation((...args) => {
      pipelines += 1;
      const p = pipeline(...args);
      const call = p.rcRecordResults.bind(p);
      p.rcRecordResults = (...argv) => {
        // The KEYS and the retention, then 7 per result.
        sizes.push((argv.length - scriptKeys.recordResults.length - 1) / 7);
        return call(...argv);
      };
      return p;
    });
    try {
      expect(await scripts.recordResults(calls, 2)).toEqual(Array(7).fill('recorded'));
    } finally {
      spy.mockRestore();
    }
    // Event 0 has u0 u2 u4 u6, event 1 u1 u3 u5: chunks of at most 2 per event.
    expect(sizes).toEqual([2, 2, 2, 1]);
    expect(pipelines).toBe(1);
    expect(JSON.parse((await redis.hget(events[1]!.k.results, 'u3'))!)).toMatchObject({
      status: 'REJECTED',
    });
    expect(await redis.hlen(events[0]!.k.results)).toBe(4);
  });
});

describe('retire script', () => {
  it('deletes the queue and closes the sale for late pollers, but not a new sale with another uid', async () => {
    const { k, s } = freshEvent();
    await s.enqueue('u', { uid: 'uid-1' });
    await redis.zadd(k.retry, BASE + 9, 'r');
    expect(await s.retire('uid-1')).toBeGreaterThan(0);
    expect(await redis.exists(k.queue, k.retry)).toBe(0);
    expect(await s.status('u', 100, 'uid-1')).toEqual({ kind: 'CLOSED' });
    expect(await s.enqueue('v', { uid: 'uid-1' })).toEqual({ kind: 'CLOSED' });
    expect(await s.enqueue('v', { uid: 'uid-2' })).toEqual(queued(1, BASE + 1, true));
    // The keys are the new sale's now: retiring the old one again leaves them alone.
    expect(await s.retire('uid-1')).toBe(0);
    expect(await s.status('v', 100, 'uid-2')).toMatchObject({ kind: 'QUEUED', rank: 1 });
  });

  it("keeps a retired sale's outcomes for their holders, apart from the sale that replaced it", async () => {
    const { k, s } = freshEvent();
    await s.enqueue('holder', { uid: 'old', limit: 1 });
    await s.enqueue('waiter', { uid: 'old' });
    await s.record('holder', String(BASE + 1), 'ISSUED', { code: 'OLD-1', uid: 'old' });
    await s.retire('old');
    // Deleted: the holder still reads the coupon (from any replica: status by no uid),
    // the waiter learns the sale is over.
    expect(await s.status('holder', '', '')).toMatchObject({ kind: 'FORMER', uid: 'old' });
    expect(await s.status('waiter', '', '')).toEqual({ kind: 'CLOSED' });
    // Replaced: the holder may join the new sale, and still sees the old coupon meanwhile.
    const former = await s.status('holder', 100, 'new');
    expect(former).toMatchObject({ kind: 'FORMER', uid: 'old' });
    expect(JSON.parse((former as { stored: string }).stored)).toMatchObject({
      status: 'ISSUED',
      coupon: { code: 'OLD-1' },
    });
    expect(await s.enqueue('holder', { uid: 'new', limit: 1 })).toEqual(queued(1, BASE + 1, true));
    // A late answer to the old sale goes to the old sale, never to the new one's counters.
    expect(await s.record('waiter', String(BASE + 2), 'SOLD_OUT', { uid: 'old' })).toBe('former');
    expect(await redis.hget(k.results, 'waiter')).toBeNull();
    expect(await redis.hget(k.stats, 'outcome:SOLD_OUT')).toBeNull();
    expect(await s.status('waiter', '', '')).toMatchObject({ kind: 'FORMER', uid: 'old' });
  });

  it('refuses to mix sales: the keys of a sale not yet retired are STALE to the one replacing it', async () => {
    const { s } = freshEvent();
    await s.enqueue('a', { uid: 'old' });
    expect(await s.enqueue('b', { uid: 'new' })).toEqual({ kind: 'STALE', owner: 'old' });
    expect(await s.status('a', 100, 'new')).toEqual({ kind: 'STALE', owner: 'old' });
    await new Promise((r) => setTimeout(r, 5));
    expect(await s.admitFor('new')).toEqual({ kind: 'STALE', owner: 'old' });
    // Callers without a uid (a standalone gate, an older replica) see the keys as they are.
    expect(await s.status('a', 100, '')).toMatchObject({ kind: 'QUEUED' });
  });
});

describe('applyCouponEvent script', () => {
  it("applies each coupon's newest event once, and counts the coupons currently redeemed", async () => {
    const { k, s } = freshEvent();
    await s.enqueue('holder', { uid: 'sale' });
    expect(await s.couponEvent(2, 'REDEEMED', { uid: 'sale' })).toBe('applied');
    expect(await s.couponEvent(2, 'REDEEMED', { uid: 'sale' })).toBe('duplicate');
    expect(await s.redeemed()).toBe(1);
    expect(await s.couponEvent(3, 'AVAILABLE', { uid: 'sale' })).toBe('applied');
    // The redemption republished after its release changes nothing.
    expect(await s.couponEvent(2, 'REDEEMED', { uid: 'sale' })).toBe('duplicate');
    expect(await s.redeemed()).toBe(0);
    expect(await s.couponEvent(4, 'REDEEMED', { uid: 'sale' })).toBe('applied');
    expect(await s.couponEvent(3, 'AVAILABLE', { uid: 'sale' })).toBe('duplicate');
    expect(await s.couponEvent(5, 'REDEEMED', { uid: 'sale', serial: 2 })).toBe('applied');
    expect(await s.redeemed()).toBe(2);
    expect(await redis.hget(k.redemptions, '1:C-1')).toBe(
      `4|REDEEMED|${new Date(1_800_000_000_004).toISOString()}|holder`,
    );
    expect(await redis.ttl(k.redemptions)).toBeGreaterThan(500);
  });

  it("keeps a retired or deleted sale's coupon states for their holders, without counting them", async () => {
    const { k, s } = freshEvent();
    await s.enqueue('holder', { uid: 'old' });
    expect(await s.couponEvent(2, 'REDEEMED', { uid: 'old' })).toBe('applied');
    await s.retire('old');
    // Released after the sale was retired: its holder reads it, nobody counts it.
    expect(await s.couponEvent(3, 'AVAILABLE', { uid: 'old' })).toBe('former');
    expect(await redis.hget(k.redemptions, '1:C-1')).toMatch(/^3\|AVAILABLE\|/);
    expect(await redis.exists(k.stats)).toBe(0);
    // The sale replacing it counts only its own coupons.
    await s.enqueue('next', { uid: 'new' });
    expect(await s.couponEvent(4, 'REDEEMED', { uid: 'old', serial: 2 })).toBe('former');
    expect(await s.couponEvent(5, 'REDEEMED', { uid: 'new', serial: 3 })).toBe('applied');
    expect(await s.redeemed()).toBe(1);
  });
});
