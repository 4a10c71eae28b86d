import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { eventKeys } from '@rediclaim/core';
import { testRedis, uniqueName } from '@rediclaim/hack/testing';
import { eventConfig } from './support/events.js';
import { EventsFile, gateEnv, suiteTopics, type Topics } from './support/harness.js';
import { fillQueue, metricSum, spawnGate, type GateProcess } from './support/processes.js';

/**
 * The fleet-wide admission rate: two and three gate processes share one Redis and each
 * run its dispatcher flat out, yet together they admit dispatchPerSecond, not a multiple
 * of it. Both fleets run at the same time (one minute, measured by Redis time).
 * Needs a build: npx tsc -b gate.
 */
const RATE = 200;
const WINDOW_MS = 60_000;
const TENANT = 'fleet';
let topics: Topics;
let redis: Redis;
const files: EventsFile[] = [];
const gates: GateProcess[] = [];

beforeAll(async () => {
  topics = await suiteTopics('fleet', 6);
  redis = testRedis();
});

afterAll(async () => {
  await Promise.all(gates.map((g) => g.stop('SIGTERM')));
  await redis?.quit();
  await Promise.all(files.map((f) => f.remove()));
});

async function serverTimeMs(): Promise<number> {
  const [sec, usec] = await redis.time();
  return Number(sec) * 1000 + Number(usec) / 1000;
}

async function fleet(replicas: number) {
  const id = uniqueName(`fleet${replicas}`);
  const k = eventKeys(TENANT, id);
  // Enough shoppers for the whole minute, a stock that never limits, no timeouts.
  await fillQueue(
    redis,
    k,
    Array.from({ length: Math.ceil(RATE * 75) }, (_, i) => `u${i}`),
  );
  const file = new EventsFile([
    eventConfig(id, {
      tenant: TENANT,
      rate: RATE,
      stock: 10_000_000,
      processingTimeoutSeconds: 3600,
    }),
  ]);
  files.push(file);
  // Nobody answers these requests, which backpressure would rightly slow down: this
  // measures the token bucket alone (backpressure.redis.kafka.test.ts the rest).
  const env = gateEnv(topics, {
    EVENTS_FILE: file.path,
    LOG_LEVEL: 'warn',
    ADMISSION_OVERDUE_MS: '0',
  });
  const procs = await Promise.all(Array.from({ length: replicas }, () => spawnGate(env)));
  gates.push(...procs);
  return { id, k, procs };
}

describe('fleet-wide admission rate', () => {
  it(`keeps 2 and 3 gate processes sharing one Redis within 5% of ${RATE}/s over a minute`, async () => {
    const fleets = await Promise.all([fleet(2), fleet(3)]);
    const start = await Promise.all(
      fleets.map(async (f) => ({
        admitted: Number(await redis.hget(f.k.stats, 'admittedTotal')),
        at: await serverTimeMs(),
      })),
    );
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    for (const [i, f] of fleets.entries()) {
      const admitted = Number(await redis.hget(f.k.stats, 'admittedTotal')) - start[i]!.admitted;
      const seconds = ((await serverTimeMs()) - start[i]!.at) / 1000;
      const expected = RATE * seconds;
      // Every replica took part: the rate is shared, not owned by one of them.
      const perReplica = await Promise.all(
        f.procs.map((p) => metricSum(p.adminUrl, 'rediclaim_gate_admitted_total')),
      );
      console.log(
        `${f.procs.length} gates: ${admitted} admitted in ${seconds.toFixed(1)} s = ${(admitted / seconds).toFixed(1)}/s (configured ${RATE}/s); per replica ${perReplica.join(', ')}`,
      );
      expect(admitted).toBeGreaterThanOrEqual(expected * 0.95);
      expect(admitted).toBeLessThanOrEqual(expected * 1.05);
      expect(perReplica.every((n) => n > 0)).toBe(true);
    }
  }, 150_000);
});
