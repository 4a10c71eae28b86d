import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { eventKeys, gateAdminStatsPath, type EventStats } from '@rediclaim/core';
import { parseMetrics, testRedis, uniqueName, valueOf, waitFor } from '@rediclaim/hack/testing';
import { SuiteEvents } from './support/suite-events.js';
import { gateEnv, startGate, suiteTopics, type InProcessGate } from './support/harness.js';
import { IssuerSim } from './support/issuer-sim.js';
import { fillQueue } from './support/processes.js';

/**
 * Admission that follows issuance: a sale of 400 admissions/s whose issuer (the simulated
 * one, over real Kafka and Redis) can decide only 80 a second. The gates must admit
 * slower by themselves, show it in their stats and metrics, and return to the configured
 * rate once the issuer keeps up again; every admitted shopper still gets an outcome.
 */
const RATE = 400;
const CAPACITY = 80;
const OVERDUE_MS = 1_000;
const TENANT = 'bp-shop';
const id = uniqueName('bp');
const events = new SuiteEvents(TENANT);
const keys = eventKeys(TENANT, id);
let redis: Redis;
let sim: IssuerSim;
let gate: InProcessGate;

beforeAll(async () => {
  const topics = await suiteTopics('bp');
  redis = testRedis();
  events.define(id, {
    rate: RATE,
    stock: 10_000_000,
    processingTimeoutSeconds: 120,
    mode: 'paused',
  });
  await fillQueue(
    redis,
    keys,
    Array.from({ length: RATE * 40 }, (_, i) => `u${i}`),
  );
  sim = new IssuerSim(topics, { kind: 'issue' });
  sim.throttle(CAPACITY);
  await sim.start();
  gate = await startGate(
    gateEnv(topics, { EVENTS_FILE: events.path(), ADMISSION_OVERDUE_MS: String(OVERDUE_MS) }),
  );
}, 60_000);

afterAll(async () => {
  await gate?.stop();
  await sim?.stop();
  await redis?.quit();
  await events.remove();
});

async function stats(): Promise<EventStats> {
  const res = await gate.admin({ url: gateAdminStatsPath(TENANT, id) });
  expect(res.statusCode).toBe(200);
  return res.json() as EventStats;
}

async function metric(name: string): Promise<number | undefined> {
  const res = await gate.admin({ url: '/metrics' });
  return valueOf(parseMetrics(res.body), name, { tenant: TENANT, event: id });
}

const admittedTotal = async () => Number(await redis.hget(keys.stats, 'admittedTotal'));

/** Shoppers admitted per second over `ms`. */
async function admissionRateOver(ms: number): Promise<number> {
  const before = await admittedTotal();
  const started = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  return ((await admittedTotal()) - before) / ((Date.now() - started) / 1000);
}

describe('admission that follows issuance', () => {
  it('admits slower by itself when the issuer falls behind, and says so', async () => {
    await events.update(gate.gate, id, (c) => (c.admission!.mode = 'fifo'));
    await waitFor(
      'the gates to slow down',
      async () => (await stats()).backpressure?.slowed === true,
      15_000,
    );
    const slowed = (await stats()).backpressure!;
    expect(slowed.configuredPerSecond).toBe(RATE);
    expect(slowed.allowedPerSecond).toBeLessThanOrEqual(RATE / 2);
    expect(slowed.overdue).toBeGreaterThan(10);
    expect(slowed.slowdowns).toBeGreaterThanOrEqual(1);
    expect(Date.parse(slowed.since!)).toBeLessThanOrEqual(Date.now());
    expect(await metric('rediclaim_gate_admission_allowed_rate')).toBeLessThanOrEqual(RATE / 2);
    expect(await metric('rediclaim_gate_admission_rate_limit')).toBe(RATE);
    expect(await metric('rediclaim_gate_admission_slowdowns_total')).toBeGreaterThanOrEqual(1);
    // Settled at what the issuer decides, not at the configured rate: over the next
    // seconds the fleet admits under half of it, and the backlog stops growing.
    const rate = await admissionRateOver(6_000);
    expect(rate).toBeLessThan(RATE / 2);
    const { processing } = await stats();
    expect(processing).toBeLessThan(RATE * 8);
  }, 60_000);

  it('returns to the configured rate once the issuer keeps up again', async () => {
    sim.throttle(undefined);
    await waitFor(
      'the gates to admit at the configured rate again',
      async () => (await stats()).backpressure?.slowed === false,
      30_000,
    );
    const back = (await stats()).backpressure!;
    expect(back).toMatchObject({
      allowedPerSecond: RATE,
      configuredPerSecond: RATE,
      slowed: false,
    });
    expect(back.since).toBeUndefined();
    expect(await metric('rediclaim_gate_admission_allowed_rate')).toBe(RATE);
    const rate = await admissionRateOver(4_000);
    expect(Math.abs(rate - RATE) / RATE).toBeLessThan(0.1);
  }, 60_000);

  it('loses nobody: every shopper admitted while slowed gets an outcome', async () => {
    await events.update(gate.gate, id, (c) => (c.admission!.mode = 'paused'));
    await waitFor(
      'every admitted shopper to be answered',
      async () => (await stats()).processing === 0,
      30_000,
    );
    const s = await stats();
    expect(s.outcomes.ISSUED).toBe(s.admittedTotal);
    expect(await redis.hlen(keys.results)).toBe(s.admittedTotal);
  }, 60_000);
});
