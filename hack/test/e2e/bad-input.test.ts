// Bad input against the whole platform: fuzzed HTTP requests, malformed Kafka messages
// and invalid CouponEvents each get a clear refusal and change nothing else.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import * as yaml from 'js-yaml';
import { CouponEventApi, deadLetterSchema, type DeadLetter } from '@rediclaim/core';
import { stackEnv, startE2E, testKafka, testRedis, type E2E } from '@rediclaim/hack/testing';
import type { Redis } from 'ioredis';
import { kubectl } from '../../src/demo/kubectl.js';
import { couponEventStatus, gateKnows, join, saleSpec, statusOf, waitFor } from '../support/e2e.js';

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
    await producer.send({
      topic: requests,
      messages: [
        { key: 'bad-1', value: 'not json at all' },
        { key: 'bad-2', value: JSON.stringify({ type: 'IssueRequest', version: 1 }) },
        {
          key: 'bad-3',
          value: JSON.stringify({ type: 'IssueRequest', version: 7, requestId: 'x' }),
        },
        { key: 'bad-4', value: Buffer.from([0xff, 0xfe, 0x00]) },
      ],
    });
    await producer.send({
      topic: results,
      messages: [{ key: 'bad-5', value: '{"type":"IssueResult"' }],
    });
    await producer.disconnect();

    // The consumers keep going: resume the sale and the waiting shoppers get coupons.
    await e2e.patchSpec('shop', 'sale', { admission: { mode: 'fifo' } });
    await waitFor('the legitimate shoppers to get coupons', async () => {
      const all = await Promise.all(shoppers.map((s) => statusOf(gate, eventId, s)));
      return all.every((s) => s.status === 'ISSUED');
    });

    const letters = await deadLetters(`${e2e.id}.dead`, 5);
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
