import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import {
  parseMetrics,
  powSolutionHeader,
  solvePow,
  testRedis,
  uniqueName,
  valueOf,
  waitFor,
  type PowChallengeJson,
} from '@rediclaim/hack/testing';
import { PowDifficulty, PowGuard, type PowResult } from '@rediclaim/gate';
import { SuiteEvents } from './support/suite-events.js';
import {
  gateEnv,
  startGate,
  suiteTopics,
  type InProcessGate,
  type Topics,
} from './support/harness.js';
import type { Client } from './support/client.js';
import { expectError } from './support/expect-error.js';

/**
 * Proof of work on join, through the HTTP APIs of two gates in this process sharing the
 * test stack's real Redis (and Kafka): challenges issued by one replica verify on the
 * other (stateless, one key), a solution joins once across the fleet (spent in Redis),
 * and what is missing, malformed, forged, expired or another event's is refused before
 * the queue changes. A join spike raises the difficulty on every replica, and it falls
 * back after the hold.
 */
const TENANT = 'pow-shop';
const KEY = 'a-test-proof-of-work-key-of-32-characters';
const ids = {
  pow: uniqueName('pow'),
  other: uniqueName('pow-other'),
  plain: uniqueName('plain'),
  spike: uniqueName('spike'),
};
const DIFFICULTY = 2_000;

let topics: Topics;
let redis: Redis;
let a: InProcessGate;
let b: InProcessGate;
const events = new SuiteEvents(TENANT);

const q = (s: string) => encodeURIComponent(s);
const challengeOf = async (http: Client, ev: string): Promise<PowChallengeJson> => {
  const res = await http({ url: `/v1/events/${ev}/challenge` });
  expect(res.statusCode).toBe(200);
  return res.json();
};
const solved = async (http: Client, ev: string): Promise<string> => {
  const challenge = await challengeOf(http, ev);
  return powSolutionHeader(challenge, await solvePow(challenge, 'library'));
};
const join = (http: Client, ev: string, user: string, solution?: string) =>
  http({
    method: 'POST',
    url: `/v1/events/${ev}/queue?userId=${q(user)}`,
    ...(solution !== undefined ? { headers: { 'x-pow-solution': solution } } : {}),
  });
const queued = (ev: string, user: string) =>
  redis.zscore(`rc:{${TENANT}/${ev}}:queue`, user).then((s) => s !== null);

const powMetric = async (gate: InProcessGate, ev: string, result: PowResult) =>
  valueOf(
    parseMetrics((await gate.admin({ url: '/metrics' })).body),
    'rediclaim_gate_pow_solutions_total',
    { tenant: TENANT, event: ev, result },
  );

beforeAll(async () => {
  topics = await suiteTopics('pow');
  redis = testRedis();
  const pow = { enabled: true, difficulty: DIFFICULTY, challengeTtlSeconds: 60 };
  events.define(ids.pow, { uid: 'sale-1', proofOfWork: pow });
  events.define(ids.other, { proofOfWork: pow });
  events.define(ids.plain, {});
  events.define(ids.spike, {
    proofOfWork: {
      ...pow,
      spike: { joinsPerSecond: 5, difficulty: 20_000, holdSeconds: 2 },
    },
  });
  const env = gateEnv(topics, {
    EVENTS_FILE: events.path(),
    POW_HMAC_KEY: KEY,
    POW_SPIKE_REFRESH_MS: '50',
  });
  [a, b] = await Promise.all([startGate(env), startGate(env)]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.quit();
  await events.remove();
});

describe('the challenge', () => {
  it('is an ALTCHA challenge at the event difficulty, bound to its sale, never cached', async () => {
    const info = await a.http({ url: `/v1/events/${ids.pow}` });
    expect(info.json().proofOfWork).toBe(true);
    const res = await a.http({ url: `/v1/events/${ids.pow}/challenge` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const c = res.json();
    expect(c).toEqual({
      algorithm: 'SHA-256',
      challenge: expect.stringMatching(/^[0-9a-f]{64}$/),
      maxnumber: DIFFICULTY,
      salt: expect.stringContaining(`?event=${ids.pow}&sale=sale-1&expires=`),
      signature: expect.stringMatching(/^[0-9a-f]{64}$/),
      expiresAt: expect.any(Number),
    });
    expect(c.expiresAt * 1000 - Date.now()).toBeGreaterThan(55_000);
    expect(c.salt).toContain(`expires=${c.expiresAt}`);
  });

  it('is not offered by an event without proof of work, which joins without one', async () => {
    expect((await a.http({ url: `/v1/events/${ids.plain}` })).json().proofOfWork).toBe(false);
    expectError(await a.http({ url: `/v1/events/${ids.plain}/challenge` }), 404, 'NOT_FOUND');
    expect((await join(a.http, ids.plain, 'free')).statusCode).toBe(201);
  });

  it('of an unknown event is UNKNOWN_EVENT', async () => {
    expectError(await a.http({ url: '/v1/events/no-such-event/challenge' }), 404, 'UNKNOWN_EVENT');
  });
});

describe('a join of a proof-of-work event', () => {
  it('with a solution issued by one replica joins on the other', async () => {
    const solution = await solved(a.http, ids.pow);
    const res = await join(b.http, ids.pow, 'solver');
    expectError(res, 428, 'POW_REQUIRED');
    const ok = await join(b.http, ids.pow, 'solver', solution);
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ joined: 'ENQUEUED', status: 'WAITING' });
    expect(await powMetric(b, ids.pow, 'accepted')).toBe(1);
  });

  it('without a solution is POW_REQUIRED (428), naming the challenge route, and changes nothing', async () => {
    const body = expectError(await join(a.http, ids.pow, 'lazy'), 428, 'POW_REQUIRED');
    expect(body.details).toEqual({
      challenge: `/v1/events/${ids.pow}/challenge`,
      header: 'x-pow-solution',
    });
    expect(await queued(ids.pow, 'lazy')).toBe(false);
    expect(await powMetric(a, ids.pow, 'missing')).toBe(1);
  });

  it('through the seed API needs a solution too (the seed clients cannot solve: 428)', async () => {
    const seed = (solution?: string) =>
      a.http({
        method: 'POST',
        url: `/gate/events/${ids.pow}/enqueue?userId=seedling`,
        ...(solution ? { headers: { 'x-pow-solution': solution } } : {}),
      });
    expectError(await seed(), 428, 'POW_REQUIRED');
    const ok = await seed(await solved(a.http, ids.pow));
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ status: 'ENQUEUED', rank: expect.any(Number) });
  });

  it('with the same solution again is POW_REPLAYED on either replica, even for another shopper', async () => {
    const solution = await solved(b.http, ids.pow);
    expect((await join(a.http, ids.pow, 'first', solution)).statusCode).toBe(201);
    expectError(await join(a.http, ids.pow, 'first', solution), 403, 'POW_REPLAYED');
    expectError(await join(b.http, ids.pow, 'second', solution), 403, 'POW_REPLAYED');
    expect(await queued(ids.pow, 'second')).toBe(false);
    // Remembered until the challenge expires (60 s), plus the tolerated skew.
    const { signature } = JSON.parse(Buffer.from(solution, 'base64').toString());
    const ttl = await redis.pttl(`rc:{${TENANT}/${ids.pow}}:pow:${signature}`);
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(90_000);
  });

  it('spends a solution once when two replicas get it at the same time', async () => {
    const solution = await solved(a.http, ids.pow);
    const answers = await Promise.all([
      join(a.http, ids.pow, 'race-a', solution),
      join(b.http, ids.pow, 'race-b', solution),
    ]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 403]);
  });

  it("of another event's challenge is POW_INVALID (other_event)", async () => {
    const solution = await solved(a.http, ids.other);
    const body = expectError(
      await join(a.http, ids.pow, 'elsewhere', solution),
      403,
      'POW_INVALID',
    );
    expect(body.details).toMatchObject({ reason: 'other_event' });
    expect(await queued(ids.pow, 'elsewhere')).toBe(false);
    // Still good for its own event: a refusal spends nothing.
    expect((await join(a.http, ids.other, 'elsewhere', solution)).statusCode).toBe(201);
  });

  it('with a wrong number, a forged signature or a tampered salt is POW_INVALID (invalid)', async () => {
    const challenge = await challengeOf(a.http, ids.pow);
    const number = await solvePow(challenge);
    const forgeries = [
      powSolutionHeader(challenge, number === 0 ? 1 : number - 1),
      powSolutionHeader({ ...challenge, signature: '0'.repeat(64) }, number),
      // Another sale's parameters: the salt is hashed into the challenge, so it fails.
      powSolutionHeader({ ...challenge, salt: challenge.salt.replace('sale-1', 'sale-2') }, number),
    ];
    for (const forged of forgeries) {
      const body = expectError(await join(a.http, ids.pow, 'forger', forged), 403, 'POW_INVALID');
      expect(body.details).toMatchObject({ reason: 'invalid' });
    }
    expect(await queued(ids.pow, 'forger')).toBe(false);
    expect(await powMetric(a, ids.pow, 'invalid')).toBe(3);
  });

  it("signed with another gate's key is POW_INVALID", async () => {
    const stranger = new PowGuard(
      { spendPow: async () => ({ spent: true, spiking: false }) },
      new PowDifficulty({ powSpiking: async () => false }, 1_000),
      { countPowChallenge: () => {}, countPowSolution: () => {} },
      { key: 'another-proof-of-work-key-of-32-characters' },
    );
    const challenge = await stranger.challenge(a.gate.events.get(ids.pow)!);
    const solution = powSolutionHeader(challenge, await solvePow(challenge));
    expectError(await join(a.http, ids.pow, 'stranger', solution), 403, 'POW_INVALID');
  });

  it('with an expired challenge is POW_INVALID (expired)', async () => {
    // The same key, a clock an hour behind: a challenge that expired 59 minutes ago.
    const late = new PowGuard(
      { spendPow: async () => ({ spent: true, spiking: false }) },
      new PowDifficulty({ powSpiking: async () => false }, 1_000),
      { countPowChallenge: () => {}, countPowSolution: () => {} },
      { key: KEY, clock: () => Date.now() - 3_600_000 },
    );
    const challenge = await late.challenge(a.gate.events.get(ids.pow)!);
    const solution = powSolutionHeader(challenge, await solvePow(challenge));
    const body = expectError(await join(a.http, ids.pow, 'late', solution), 403, 'POW_INVALID');
    expect(body.details).toMatchObject({ reason: 'expired' });
  });

  it('with a header that is not a solution is VALIDATION_FAILED (400)', async () => {
    for (const header of [
      'not base64 json',
      Buffer.from('{"algorithm":"SHA-1"}').toString('base64'),
      'x'.repeat(3000),
    ]) {
      const res = await join(a.http, ids.pow, 'garbled', header);
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.json().message).toContain('x-pow-solution');
    }
    expect(await queued(ids.pow, 'garbled')).toBe(false);
  });
});

describe('a join spike', () => {
  it('raises the difficulty on every replica while it lasts, and lowers it after the hold', async () => {
    const difficulty = async (http: Client) => (await challengeOf(http, ids.spike)).maxnumber;
    expect(await difficulty(a.http)).toBe(DIFFICULTY);
    // Five solved joins within one second (the spike's joinsPerSecond), across replicas.
    const solutions = await Promise.all(
      Array.from({ length: 5 }, (_, i) => solved(i % 2 ? a.http : b.http, ids.spike)),
    );
    const answers = await Promise.all(
      solutions.map((s, i) => join(i % 2 ? b.http : a.http, ids.spike, `crowd-${i}`, s)),
    );
    expect(answers.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
    // Both replicas, once their last read is older than POW_SPIKE_REFRESH_MS (50 ms).
    await waitFor('the spike difficulty', async () => (await difficulty(a.http)) === 20_000);
    await waitFor('the spike difficulty', async () => (await difficulty(b.http)) === 20_000);
    const metrics = parseMetrics((await b.admin({ url: '/metrics' })).body);
    expect(
      valueOf(metrics, 'rediclaim_gate_pow_difficulty', { tenant: TENANT, event: ids.spike }),
    ).toBe(20_000);
    // holdSeconds: 2 after the last second that reached the threshold.
    await waitFor(
      'the base difficulty again',
      async () => (await difficulty(b.http)) === DIFFICULTY,
      5_000,
      100,
    );
    expect(await difficulty(a.http)).toBe(DIFFICULTY);
  }, 20_000);

  it('is not started by a slower stream of joins', async () => {
    for (let i = 0; i < 4; i++) {
      const solution = await solved(a.http, ids.spike);
      expect((await join(a.http, ids.spike, `slow-${i}`, solution)).statusCode).toBe(201);
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(await redis.exists(`rc:{${TENANT}/${ids.spike}}:pow-spike`)).toBe(0);
  });
});

describe('the metrics', () => {
  it('count challenges and solutions by result, from 0, only for proof-of-work events', async () => {
    const samples = parseMetrics((await a.admin({ url: '/metrics' })).body);
    const labels = { tenant: TENANT, event: ids.pow };
    expect(valueOf(samples, 'rediclaim_gate_pow_challenges_total', labels)).toBeGreaterThan(0);
    // Two of the three garbled headers: the over-long one is refused by the route's
    // header schema, before the proof of work is looked at.
    expect(
      valueOf(samples, 'rediclaim_gate_pow_solutions_total', { ...labels, result: 'malformed' }),
    ).toBe(2);
    expect(
      valueOf(samples, 'rediclaim_gate_pow_solutions_total', { ...labels, result: 'other_event' }),
    ).toBe(1);
    expect(valueOf(samples, 'rediclaim_gate_pow_difficulty', labels)).toBe(DIFFICULTY);
    expect(
      valueOf(samples, 'rediclaim_gate_pow_challenges_total', { tenant: TENANT, event: ids.plain }),
    ).toBeUndefined();
  });
});
