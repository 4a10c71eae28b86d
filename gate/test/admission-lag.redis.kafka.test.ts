import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { eventKeys } from '@rediclaim/core';
import { testRedis, uniqueName } from '@rediclaim/hack/testing';
import { SuiteEvents } from './support/suite-events.js';
import { gateEnv, startGate, suiteTopics, type InProcessGate } from './support/harness.js';
import { fillQueue } from './support/processes.js';

/**
 * The fleet's token bucket against a gate that falls behind: this gate runs in the test's
 * own process, whose event loop the test blocks for 400 ms of every 700 (what a long GC,
 * a CPU-starved pod or a burst of push writes does to a dispatcher that ticks every
 * 100 ms). The tokens that accrue while it cannot call admit.lua must still be spent once
 * it can: over the window the admitted rate is the configured one, within 5 %.
 */
const RATE = 200;
const WINDOW_MS = 10_000;
const TENANT = 'lag-shop';
const id = uniqueName('lag');
const events = new SuiteEvents(TENANT);
let redis: Redis;
let gate: InProcessGate;

beforeAll(async () => {
  const topics = await suiteTopics('lag');
  redis = testRedis();
  events.define(id, {
    rate: RATE,
    stock: 10_000_000,
    processingTimeoutSeconds: 3_600,
    mode: 'paused',
  });
  await fillQueue(
    redis,
    eventKeys(TENANT, id),
    Array.from({ length: RATE * 20 }, (_, i) => `u${i}`),
  );
  // Nobody answers these requests: backpressure would rightly slow the sale down. This
  // suite measures the token bucket alone (backpressure.redis.kafka.test.ts the rest).
  gate = await startGate(
    gateEnv(topics, { EVENTS_FILE: events.path(), ADMISSION_OVERDUE_MS: '0' }),
  );
});

afterAll(async () => {
  await gate?.stop();
  await redis?.quit();
  await events.remove();
});

async function serverTimeMs(): Promise<number> {
  const [sec, usec] = await redis.time();
  return Number(sec) * 1000 + Number(usec) / 1000;
}

const admittedTotal = async () =>
  Number(await redis.hget(eventKeys(TENANT, id).stats, 'admittedTotal'));

describe('admission while the admitting gate falls behind', () => {
  it(`admits ${RATE}/s within 5 % though the gate's event loop stalls 400 ms of every 700`, async () => {
    await events.update(gate.gate, id, (c) => (c.admission!.mode = 'fifo'));
    // Past the bucket's start (it begins empty at the first admission).
    await new Promise((r) => setTimeout(r, 1_500));
    const start = { admitted: await admittedTotal(), at: await serverTimeMs() };
    const until = Date.now() + WINDOW_MS;
    while (Date.now() < until) {
      const blockedUntil = Date.now() + 400;
      while (Date.now() < blockedUntil); // the stall: nothing else in this process runs
      await new Promise((r) => setTimeout(r, 300));
    }
    const admitted = (await admittedTotal()) - start.admitted;
    const seconds = ((await serverTimeMs()) - start.at) / 1000;
    const expected = RATE * seconds;
    expect(Math.abs(admitted - expected) / expected).toBeLessThan(0.05);
  });
});
