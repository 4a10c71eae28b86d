// Bad input against the whole platform: fuzzed HTTP requests, malformed Kafka messages
// and invalid CouponEvents each get a clear refusal and change nothing else; hostile
// changes to live CouponEvents (re-created, taken over, deleted mid-sale, edited field by
// field) each do what the README says.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import * as yaml from 'js-yaml';
import mysql from 'mysql2/promise';
import {
  CouponEventApi,
  SIGNATURE_HEADER,
  deadLetterSchema,
  requestIdOf,
  signRecord,
  signingKeysSchema,
  type CouponEventStatus,
  type DeadLetter,
} from '@rediclaim/core';
import { stackEnv, startE2E, testKafka, testRedis, type E2E } from '@rediclaim/hack/testing';
import type { Redis } from 'ioredis';
import { kubectl } from '../../src/demo/kubectl.js';
import {
  couponEventStatus,
  gateKnows,
  gateStats,
  join,
  saleSpec,
  statusOf,
  waitFor,
  type ShopperStatus,
} from '../support/e2e.js';

let e2e: E2E;
let gate: string;
let redis: Redis;
let eventId: string;
const shoppers = ['legit-1', 'legit-2', 'legit-3', 'legit-4', 'legit-5'];

beforeAll(async () => {
  e2e = await startE2E('e2e-bad', ['shop', 'other'], { gates: 1 });
  gate = e2e.platform.gateUrls[0]!;
  redis = testRedis();
  eventId = `${e2e.id}-sale`;
  // Paused: the legitimate shoppers hold still while the fuzzing runs.
  await e2e.apply('shop', 'sale', saleSpec({ eventId, stock: 100, rate: 50, paused: true }));
  await gateKnows(gate, eventId);
  for (const s of shoppers) expect((await join(gate, eventId, s)).status).toBe('WAITING');
}, 120_000);

afterAll(async () => {
  await redis?.quit();
  await e2e?.stop();
});

/** Every key this suite's tenant owns in Redis, with its size: what "nothing stored" compares. */
async function tenantState(): Promise<Record<string, number>> {
  const state: Record<string, number> = {};
  const stream = redis.scanStream({ match: `rc:{${e2e.tenants.shop}/*`, count: 1000 });
  for await (const keys of stream as AsyncIterable<string[]>) {
    for (const key of keys) {
      const type = await redis.type(key);
      // Counters of requests (stats) may move; the data shoppers own must not.
      if (key.endsWith(':stats') || key.endsWith(':limiter')) continue;
      state[key] =
        type === 'zset' ? await redis.zcard(key) : type === 'hash' ? await redis.hlen(key) : 1;
    }
  }
  return state;
}

const invalidUserId = fc.oneof(
  fc.constant(''),
  fc.string({ minLength: 129, maxLength: 400 }),
  fc.constantFrom(
    'a b',
    'a/b',
    '{x}',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '\u0000',
    '%00',
    '../../etc/passwd',
    '사용자',
    '😀',
    'a\nb',
  ),
  fc.string({ minLength: 1, maxLength: 20 }).map((s) => `${s} /{}`),
);

const eventIdArb = (known: string) =>
  fc.oneof(
    fc.constant(known),
    fc.constantFrom(
      '',
      '..',
      '%2e%2e',
      'a/b',
      '{x}',
      'x'.repeat(300),
      '%00',
      'no-such-event',
      '이벤트',
    ),
    fc.string({ maxLength: 80 }),
  );

/** A request a careless or hostile client might send. */
const badRequest = (known: string) =>
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
    route: fc.constantFrom(
      '/gate/events/E/enqueue',
      '/gate/events/E/rank',
      '/v1/events/E/queue',
      '/v1/events/E/queue/me',
      '/v1/events/E',
      '/events/E',
      '/',
    ),
    eventId: eventIdArb(known),
    userId: fc.option(invalidUserId, { nil: undefined }),
    extraQuery: fc.option(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 50 }), {
        maxKeys: 3,
      }),
      { nil: undefined },
    ),
    ticket: fc.option(fc.oneof(fc.string({ maxLength: 100 }), fc.constant('eyJuIjoxfQ.forged')), {
      nil: undefined,
    }),
    body: fc.option(
      fc.oneof(
        fc.constant('{'),
        fc.constant('null'),
        fc.constant('[]'),
        fc.json({ maxDepth: 3 }),
        fc.constant('x'.repeat(200_000)),
      ),
      { nil: undefined },
    ),
    contentType: fc.constantFrom(
      undefined,
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
    ),
    userHeader: fc.option(invalidUserId, { nil: undefined }),
  });

describe('malformed HTTP requests', () => {
  it('are refused with a JSON error (never a 5xx other than a designed 503) and store nothing', async () => {
    const before = await tenantState();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(badRequest(eventId), async (r) => {
        const query = new URLSearchParams();
        if (r.userId !== undefined) query.set('userId', r.userId);
        if (r.ticket !== undefined) query.set('ticket', r.ticket);
        for (const [k, v] of Object.entries(r.extraQuery ?? {})) query.append(k, v);
        const path =
          r.route.replace('E', encodeURIComponent(r.eventId)) + (query.size ? `?${query}` : '');
        const headers: Record<string, string> = {};
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.userHeader !== undefined) headers['x-user-id'] = encodeURIComponent(r.userHeader);
        const withBody = r.body !== undefined && r.method !== 'GET';
        const res = await fetch(gate + path, {
          method: r.method,
          headers,
          ...(withBody ? { body: r.body } : {}),
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status < 500 || res.status === 503).toBe(true);
        if (
          res.status >= 400 &&
          r.method !== 'OPTIONS' &&
          r.route !== '/events/E' &&
          r.route !== '/'
        ) {
          const body = JSON.parse(text) as { code?: unknown; message?: unknown };
          expect(typeof body.code).toBe('string');
          expect(typeof body.message).toBe('string');
        }
      }),
      { numRuns: 1000 },
    );
    expect(await tenantState()).toEqual(before);
    // The fuzzing exercised refusals, not only 404s.
    expect([...statuses.keys()].filter((s) => s >= 400 && s < 500).length).toBeGreaterThan(1);
    for (const s of shoppers) expect((await statusOf(gate, eventId, s)).status).toBe('WAITING');
  }, 180_000);
});

async function deadLetters(topic: string, atLeast: number): Promise<DeadLetter[]> {
  const consumer = testKafka().consumer({
    groupId: `${e2e.id}-dlq-reader-${Math.random().toString(36).slice(2)}`,
  });
  const letters: DeadLetter[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) =>
        void letters.push(deadLetterSchema.parse(JSON.parse(message.value!.toString()))),
    });
    await waitFor(
      `${atLeast} dead letters on ${topic}`,
      async () => letters.length >= atLeast,
      30_000,
    );
  } finally {
    await consumer.disconnect();
  }
  return letters;
}

describe('malformed Kafka messages', () => {
  it('go to the dead-letter topic with their reason, and issuing goes on', async () => {
    const producer = testKafka().producer();
    await producer.connect();
    const requests = `${e2e.id}.requests`;
    const results = `${e2e.id}.results`;
    // Signed with the gates' key, as a gate with a bug would send them: what the issuer
    // does with a record it must read. Unsigned and forged ones come after.
    const key = signingKeysSchema.parse(e2e.platform.requestSigningKeys)[0]!;
    const signed = (m: { key: string; value: string | Buffer }) => ({
      ...m,
      headers: { [SIGNATURE_HEADER]: signRecord(Buffer.from(m.value), key) },
    });
    const forged = {
      type: 'IssueRequest',
      version: 1,
      requestId: requestIdOf(e2e.tenants.shop!, eventId, 'mallory', 1),
      tenant: e2e.tenants.shop!,
      eventId,
      userId: 'mallory',
      ticket: 1,
      admittedAt: new Date().toISOString(),
      policy: {
        generation: 1,
        stock: 1_000_000,
        perUserLimit: 1,
        validity: { validForHours: 24 },
        discount: { type: 'percent', percent: 90 },
        code: { prefix: '', length: 12 },
      },
    };
    await producer.send({
      topic: requests,
      messages: [
        signed({ key: 'bad-1', value: 'not json at all' }),
        signed({ key: 'bad-2', value: JSON.stringify({ type: 'IssueRequest', version: 1 }) }),
        signed({
          key: 'bad-3',
          value: JSON.stringify({ type: 'IssueRequest', version: 7, requestId: 'x' }),
        }),
        signed({ key: 'bad-4', value: Buffer.from([0xff, 0xfe, 0x00]) }),
        // Anyone who can produce to the topic, without the key: no coupon for them.
        { key: 'forged-1', value: JSON.stringify(forged) },
        {
          key: 'forged-2',
          value: JSON.stringify(forged),
          headers: {
            [SIGNATURE_HEADER]: signRecord(Buffer.from(JSON.stringify(forged)), {
              id: key.id,
              secret: 'guessed-'.repeat(5),
            }),
          },
        },
      ],
    });
    await producer.send({
      topic: results,
      // Signed like an issuer's (the same keys): what the gate does with a record it must read.
      messages: [signed({ key: 'bad-5', value: '{"type":"IssueResult"' })],
    });
    await producer.disconnect();

    // The consumers keep going: resume the sale and the waiting shoppers get coupons.
    await e2e.patchSpec('shop', 'sale', { admission: { mode: 'fifo' } });
    await waitFor('the legitimate shoppers to get coupons', async () => {
      const all = await Promise.all(shoppers.map((s) => statusOf(gate, eventId, s)));
      return all.every((s) => s.status === 'ISSUED');
    });

    const letters = await deadLetters(`${e2e.id}.dead`, 7);
    const byKey = new Map(letters.map((l) => [l.source.key, l]));
    expect(byKey.get('bad-1')).toMatchObject({
      reason: { code: 'INVALID_MESSAGE' },
      payload: 'not json at all',
      service: expect.stringContaining('issuer'),
    });
    expect(byKey.get('bad-2')?.reason.message).toMatch(/requestId: is required/);
    expect(byKey.get('bad-3')?.reason.code).toBe('UNSUPPORTED_MESSAGE_VERSION');
    expect(byKey.get('bad-4')).toMatchObject({
      payloadEncoding: 'base64',
      payload: Buffer.from([0xff, 0xfe, 0x00]).toString('base64'),
    });
    expect(byKey.get('bad-5')).toMatchObject({
      reason: { code: 'INVALID_MESSAGE' },
      service: expect.stringContaining('gate'),
    });
    for (const forgedKey of ['forged-1', 'forged-2'])
      expect(byKey.get(forgedKey)?.reason.code).toBe('INVALID_SIGNATURE');
  }, 90_000);
});

describe('invalid CouponEvents', () => {
  it('are refused at kubectl apply with a readable message, changing nothing', async () => {
    const bad = {
      apiVersion: CouponEventApi.apiVersion,
      kind: CouponEventApi.kind,
      metadata: { name: 'backwards', namespace: e2e.tenants.shop },
      spec: saleSpec({
        eventId: `${e2e.id}-backwards`,
        stock: 10,
        rate: 10,
        opensInMs: 60_000,
        closesInMs: 1_000,
      }),
    };
    await expect(
      kubectl(stackEnv().kubeconfig, ['apply', '-f', '-'], yaml.dump(bad)),
    ).rejects.toThrow(/closesAt must be after opensAt/);
    expect((await fetch(`${gate}/v1/events/${e2e.id}-backwards`)).status).toBe(404);
  });

  it('marks a CouponEvent that takes another tenant’s event id Failed with the reason, and the first sale goes on', async () => {
    await e2e.apply('other', 'copycat', saleSpec({ eventId, stock: 5, rate: 5 }));
    const status = await waitFor('the copycat to be Failed', async () => {
      const s = await couponEventStatus(e2e, 'other', 'copycat');
      return s?.phase === 'Failed' ? s : undefined;
    });
    const accepted = status.conditions?.find((c) => c.type === 'Accepted');
    expect(accepted).toMatchObject({ status: 'False', reason: 'EventIdConflict' });
    expect(accepted?.message).toContain(eventId);
    expect((await join(gate, eventId, 'after-copycat')).status).toMatch(
      /WAITING|PROCESSING|ISSUED/,
    );
  });
});

/** Waits until `userId` learns an outcome (anything but WAITING or PROCESSING). */
async function outcomeOf(id: string, userId: string): Promise<ShopperStatus> {
  return waitFor(`${userId}'s outcome in ${id}`, async () => {
    const s = await statusOf(gate, id, userId);
    return s.status === 'WAITING' || s.status === 'PROCESSING' ? undefined : s;
  });
}

/** Each shopper joins, then waits for their outcome. */
async function shop(id: string, users: string[]): Promise<Map<string, ShopperStatus>> {
  for (const u of users) await join(gate, id, u);
  return new Map(await Promise.all(users.map(async (u) => [u, await outcomeOf(id, u)] as const)));
}

/** The coupons MySQL holds for an event id, per sale (coupon_events row), oldest first. */
async function salesInMysql(
  id: string,
): Promise<{ uid: string; stock: number; coupons: { userId: string; code: string }[] }[]> {
  const conn = await mysql.createConnection(e2e.platform.mysqlUrl);
  try {
    const [sales] = await conn.query(
      'SELECT id, uid, stock FROM coupon_events WHERE tenant = ? AND event_id = ? ORDER BY id',
      [e2e.tenants.shop, id],
    );
    return await Promise.all(
      (sales as { id: number; uid: string; stock: number }[]).map(async (sale) => {
        const [coupons] = await conn.query(
          'SELECT user_id AS userId, code FROM issued_coupons WHERE event_id = ? ORDER BY user_id',
          [sale.id],
        );
        return { uid: sale.uid, stock: sale.stock, coupons: coupons as never };
      }),
    );
  } finally {
    await conn.end();
  }
}

/** Deletes a CouponEvent and waits until it is gone (the operator's cleanup done). */
async function removeAndWait(name: string): Promise<void> {
  await e2e.remove('shop', name);
  await waitFor(`${name} to be gone`, async () => {
    try {
      await couponEventStatus(e2e, 'shop', name);
      return undefined;
    } catch (error) {
      return (error as { code?: number }).code === 404 || undefined;
    }
  });
}

/** The CouponEvent's status once its Ready condition judges `generation` and `holds`. */
function readyAt(name: string, generation: number, holds: (s: CouponEventStatus) => boolean) {
  return waitFor(`${name}'s status of generation ${generation}`, async () => {
    const s = await couponEventStatus(e2e, 'shop', name);
    const ready = s?.conditions?.find((c) => c.type === 'Ready');
    return s && ready?.observedGeneration === generation && holds(s) ? s : undefined;
  });
}

const condition = (s: CouponEventStatus, type: string) =>
  s.conditions?.find((c) => c.type === type);

describe('hostile changes to live CouponEvents', () => {
  it('re-created under the same name and eventId: a new sale with its own stock and codes; old coupons stay with their holders', async () => {
    const id = `${e2e.id}-again`;
    await e2e.apply('shop', 'again', saleSpec({ eventId: id, stock: 2, rate: 50 }));
    await gateKnows(gate, id);
    const first = await shop(id, ['r1', 'r2', 'r3']);
    expect([...first.values()].map((s) => s.status)).toEqual(['ISSUED', 'ISSUED', 'SOLD_OUT']);
    const r1Code = first.get('r1')!.coupon!.code;

    await removeAndWait('again');
    await e2e.apply('shop', 'again', {
      ...saleSpec({ eventId: id, stock: 3, rate: 50 }),
      coupon: {
        ...saleSpec({ eventId: id, stock: 3, rate: 50 }).coupon,
        discount: { type: 'percent', percent: 30 },
        code: { prefix: 'NEW-', length: 10 },
      },
    });
    // The new sale starts empty: the old buyer is not in it, but sees the old coupon.
    const before = await waitFor('the new sale to be served', async () => {
      const s = (await statusOf(gate, id, 'r1')) as ShopperStatus & {
        formerSale?: { status: string; coupon?: { code: string } };
      };
      return s.status === 'NOT_IN_QUEUE' ? s : undefined;
    });
    expect(before.formerSale).toMatchObject({ status: 'ISSUED', coupon: { code: r1Code } });

    // Its own stock: everyone gets a coupon, the former buyer and the one sold out included.
    const second = await shop(id, ['r1', 'r3', 'r4']);
    expect([...second.values()].map((s) => s.status)).toEqual(['ISSUED', 'ISSUED', 'ISSUED']);
    for (const s of second.values()) expect(s.coupon!.code).toMatch(/^NEW-/);

    const sales = await salesInMysql(id);
    expect(sales.map((s) => [s.stock, s.coupons.map((c) => c.userId)])).toEqual([
      [2, ['r1', 'r2']],
      [3, ['r1', 'r3', 'r4']],
    ]);
    expect(sales[0]!.coupons[0]!.code).toBe(r1Code);
    expect(new Set(sales.map((s) => s.uid)).size).toBe(2);
    const status = await waitFor('the new sale’s counts', async () => {
      const s = await couponEventStatus(e2e, 'shop', 'again');
      return s?.counts?.issued === 3 ? s : undefined;
    });
    expect(status).toMatchObject({ stock: 3, phase: 'SoldOut' });
  }, 120_000);

  it('taken over by another CouponEvent once the first is deleted: a new sale, not the old one continued', async () => {
    const id = `${e2e.id}-taken`;
    await e2e.apply('shop', 'first-owner', saleSpec({ eventId: id, stock: 1, rate: 50 }));
    await gateKnows(gate, id);
    expect((await shop(id, ['t1', 't2'])).get('t2')!.status).toBe('SOLD_OUT');
    await removeAndWait('first-owner');
    await e2e.apply('shop', 'second-owner', saleSpec({ eventId: id, stock: 1, rate: 50 }));
    await waitFor('the new owner to be served', async () => {
      return (await statusOf(gate, id, 't1')).status === 'NOT_IN_QUEUE' || undefined;
    });
    expect((await shop(id, ['t2'])).get('t2')!.status).toBe('ISSUED');
    expect((await salesInMysql(id)).map((s) => s.coupons.map((c) => c.userId))).toEqual([
      ['t1'],
      ['t2'],
    ]);
  }, 120_000);

  it('deleted mid-sale: holders keep their coupon on both status routes, the waiting learn it was cancelled', async () => {
    const id = `${e2e.id}-gone`;
    await e2e.apply('shop', 'gone', saleSpec({ eventId: id, stock: 5, rate: 50 }));
    await gateKnows(gate, id);
    const holders = await shop(id, ['d1', 'd2']);
    await e2e.patchSpec('shop', 'gone', { admission: { mode: 'paused' } });
    await readyAt('gone', 2, (s) => s.phase === 'Paused');
    await waitFor(
      'the gate to pause',
      async () => (await gateStats(e2e, 'shop', id)).generation >= 2,
    );
    const waiting = (await join(gate, id, 'd3')) as ShopperStatus & { ticket?: string };
    expect(waiting.status).toBe('WAITING');
    const holder = (await join(gate, id, 'd1')) as ShopperStatus & { ticket?: string };
    const holderTicket = holder.ticket;

    await removeAndWait('gone');
    const byTicket = async (ticket: string) =>
      fetch(`${gate}/v1/events/${id}/queue/me?ticket=${encodeURIComponent(ticket)}`);
    const byUser = async (userId: string) =>
      fetch(`${gate}/v1/events/${id}/queue/me?userId=${userId}`);
    const waiter = await byUser('d3');
    expect(waiter.status).toBe(200);
    expect(await waiter.json()).toMatchObject({ status: 'EVENT_CLOSED', reason: 'EVENT_DELETED' });
    const viaTicket = await byTicket(waiting.ticket!);
    expect([viaTicket.status, await viaTicket.json()]).toEqual([
      200,
      await (await byUser('d3')).json(),
    ]);
    for (const [user, outcome] of holders) {
      const seen = (await (await byUser(user)).json()) as ShopperStatus;
      expect(seen).toMatchObject({ status: 'ISSUED', coupon: { code: outcome.coupon!.code } });
    }
    if (holderTicket) {
      const seen = await byTicket(holderTicket);
      expect([seen.status, await seen.json()]).toEqual([200, await (await byUser('d1')).json()]);
    }
    expect(await join(gate, id, 'd4')).toMatchObject({ status: 'EVENT_CLOSED' });
    // Nothing of MySQL is deleted with the CouponEvent: the coupons are the holders'.
    expect((await salesInMysql(id))[0]!.coupons.map((c) => c.userId)).toEqual(['d1', 'd2']);
  }, 120_000);

  it('edited live, field by field: applied, refused at apply, or reported by a condition, never accepted and ignored', async () => {
    const id = `${e2e.id}-edits`;
    await e2e.apply('shop', 'edits', saleSpec({ eventId: id, stock: 3, rate: 50 }));
    await gateKnows(gate, id);
    await readyAt('edits', 1, (s) => condition(s, 'Ready')?.status === 'True');
    expect((await shop(id, ['e1'])).get('e1')!.status).toBe('ISSUED');

    // Refused at apply: what would break what was issued, or who the sale is.
    await expect(
      e2e.patchSpec('shop', 'edits', { coupon: { code: { prefix: 'OTHER-' } } }),
    ).rejects.toThrow(/coupon\.code cannot change/);
    await expect(e2e.patchSpec('shop', 'edits', { eventId: `${id}-renamed` })).rejects.toThrow(
      /eventId cannot change/,
    );

    // Applied live: the next coupon carries the new discount; the earlier one keeps its own.
    await e2e.patchSpec('shop', 'edits', {
      displayName: 'Edited live',
      coupon: { stock: 4, discount: { type: 'percent', percent: 25 } },
    });
    await readyAt('edits', 2, (s) => condition(s, 'Ready')?.status === 'True' && s.stock === 4);
    await waitFor(
      'the gate to apply it',
      async () => (await gateStats(e2e, 'shop', id)).generation >= 2,
    );
    expect((await shop(id, ['e2'])).get('e2')!.status).toBe('ISSUED');
    const conn = await mysql.createConnection(e2e.platform.mysqlUrl);
    try {
      const [rows] = await conn.query(
        `SELECT c.user_id AS userId, c.discount FROM issued_coupons c JOIN coupon_events e ON e.id = c.event_id
          WHERE e.event_id = ? ORDER BY c.user_id`,
        [id],
      );
      expect(
        (rows as { userId: string; discount: { percent: number } }[]).map((r) => [
          r.userId,
          r.discount.percent,
        ]),
      ).toEqual([
        ['e1', 10],
        ['e2', 25],
      ]);
    } finally {
      await conn.end();
    }

    // Reported by a condition: stock below what was issued. The last accepted spec stays.
    await e2e.patchSpec('shop', 'edits', { coupon: { stock: 1 } });
    const refused = await readyAt('edits', 3, (s) => condition(s, 'Ready')?.status === 'False');
    expect(condition(refused, 'Ready')).toMatchObject({ reason: 'StockBelowIssued' });
    expect(condition(refused, 'Stalled')).toMatchObject({ status: 'True' });
    expect(condition(refused, 'Accepted')?.message).toMatch(/last accepted spec \(generation 2\)/);
    expect(refused.stock).toBe(4);
    expect((await shop(id, ['e3'])).get('e3')!.status).toBe('ISSUED');

    // Fixed: Ready again, Stalled gone.
    await e2e.patchSpec('shop', 'edits', { coupon: { stock: 10 } });
    const fixed = await readyAt('edits', 4, (s) => condition(s, 'Ready')?.status === 'True');
    expect(condition(fixed, 'Stalled')).toBeUndefined();
    expect(fixed.stock).toBe(10);
  }, 180_000);
});
