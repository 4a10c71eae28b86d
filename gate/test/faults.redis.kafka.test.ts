import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { eventKeys, type IssueRequest } from '@rediclaim/core';
import {
  createTestTopics,
  deleteTestTopics,
  testRedis,
  uniqueName,
  waitFor,
} from '@rediclaim/hack/testing';
import { eventConfig } from './support/events.js';
import {
  EventsFile,
  gateEnv,
  startGate,
  suiteTopics,
  type InProcessGate,
  type Topics,
} from './support/harness.js';
import { IssuerSim } from './support/issuer-sim.js';
import { fillQueue, spawnGate, type GateProcess } from './support/processes.js';

/**
 * Nobody is lost, nobody is admitted twice: a gate killed between admission and send, a
 * gate stopped gracefully in the middle of heavy dispatch, and Kafka refusing the sends.
 * Gate processes need a build: npx tsc -b gate.
 */
const TENANT = 'faults';
let topics: Topics;
let redis: Redis;
let sim: IssuerSim;
const files: EventsFile[] = [];
const gates: GateProcess[] = [];

beforeAll(async () => {
  topics = await suiteTopics('faults', 3);
  redis = testRedis();
  sim = new IssuerSim(topics, { kind: 'issue' });
  await sim.start();
});

afterAll(async () => {
  await Promise.all(gates.map((g) => g.stop('SIGKILL')));
  await sim?.stop();
  await redis?.quit();
  await Promise.all(files.map((f) => f.remove()));
});

function fileFor(...events: ReturnType<typeof eventConfig>[]): EventsFile {
  const file = new EventsFile(events);
  files.push(file);
  return file;
}

async function spawn(env: Record<string, string>): Promise<GateProcess> {
  const gate = await spawnGate(env);
  gates.push(gate);
  return gate;
}

/** Each user's outcome recorded by the gates (results hash). */
async function outcomes(id: string): Promise<Map<string, string>> {
  const all = await redis.hgetall(eventKeys(TENANT, id).results);
  return new Map(
    Object.entries(all).map(([user, json]) => [user, JSON.parse(json).status as string]),
  );
}

async function metricValue(g: InProcessGate, name: string): Promise<number> {
  const text = await g.gate.metrics.registry.getSingleMetricAsString(name);
  return Number(
    text
      .split('\n')
      .find((l) => l.startsWith(name))
      ?.split(' ')
      .pop() ?? 0,
  );
}

function requestsPerUser(requests: IssueRequest[]): Map<string, Set<string>> {
  const byUser = new Map<string, Set<string>>();
  for (const r of requests) {
    const ids = byUser.get(r.userId) ?? new Set<string>();
    ids.add(r.requestId);
    byUser.set(r.userId, ids);
  }
  return byUser;
}

describe('a gate killed between admission and send', () => {
  it('loses nobody: the admitted shoppers keep their original tickets, are sent first once overdue, and are issued once', async () => {
    const id = uniqueName('kill');
    const k = eventKeys(TENANT, id);
    const users = Array.from({ length: 60 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    await fillQueue(redis, k, users);
    const file = fileFor(
      eventConfig(id, { tenant: TENANT, rate: 10, stock: 1000, processingTimeoutSeconds: 5 }),
    );
    const env = gateEnv(topics, { EVENTS_FILE: file.path, LOG_LEVEL: 'info' });

    // This gate admits a batch, then holds it instead of sending: SIGKILL lands there.
    const doomed = await spawn({ ...env, DISPATCH_TEST_HOLD_AFTER_ADMIT_MS: '600000' });
    await waitFor(
      'the doomed gate to admit and hold',
      () => doomed.logs().includes('holding before the send'),
      15_000,
    );
    const held = await redis.hgetall(k.inflight);
    expect(Object.keys(held).length).toBeGreaterThan(0);
    await doomed.stop('SIGKILL');
    expect(sim.requestsOf(id)).toHaveLength(0);

    await spawn(env);
    await waitFor(
      'every shopper to get a result',
      async () => (await outcomes(id)).size === users.length,
      45_000,
      200,
    );

    const results = await outcomes(id);
    expect([...results.values()].every((s) => s === 'ISSUED')).toBe(true);
    const byUser = requestsPerUser(sim.requestsOf(id));
    expect(byUser.size).toBe(users.length);
    expect([...byUser.values()].every((ids) => ids.size === 1)).toBe(true);
    // The held shoppers kept their tickets and went back to the front, not the back.
    const requests = sim.requestsOf(id);
    const heldAt = Math.max(
      ...requests.filter((r) => r.userId in held).map((r) => Date.parse(r.admittedAt)),
    );
    for (const r of requests.filter((r) => r.userId in held))
      expect(String(r.ticket)).toBe(held[r.userId]);
    expect(requests.filter((r) => Date.parse(r.admittedAt) > heldAt).length).toBeGreaterThan(10);
    expect(await redis.hget(k.stats, 'requeuedTimeout')).toBe(String(Object.keys(held).length));
  }, 90_000);
});

describe('graceful shutdown', () => {
  it('loses nobody when one of two gates is stopped in the middle of heavy dispatch', async () => {
    const id = uniqueName('graceful');
    const k = eventKeys(TENANT, id);
    const users = Array.from({ length: 3000 }, (_, i) => `g${i}`);
    await fillQueue(redis, k, users);
    const file = fileFor(eventConfig(id, { tenant: TENANT, rate: 1000, stock: 100_000 }));
    const env = gateEnv(topics, { EVENTS_FILE: file.path, LOG_LEVEL: 'info' });
    const [first, second] = await Promise.all([spawn(env), spawn(env)]);
    await waitFor(
      'dispatch under way',
      async () => Number(await redis.hget(k.stats, 'admittedTotal')) > 500,
    );
    const stoppedAt = Date.now();
    expect(await first!.stop('SIGTERM')).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    // The log reaches its file through a pipe, a moment after the exit.
    await waitFor('the shutdown log', () => first!.logs().includes('gate stopped'), 5_000);

    await waitFor(
      'every shopper to get a result',
      async () => (await outcomes(id)).size === users.length,
      60_000,
      250,
    );
    const byUser = requestsPerUser(sim.requestsOf(id));
    expect(byUser.size).toBe(users.length);
    expect([...byUser.values()].every((ids) => ids.size === 1)).toBe(true);
    expect([...(await outcomes(id)).values()].every((s) => s === 'ISSUED')).toBe(true);
    expect(await redis.hlen(k.inflight)).toBe(0);
    expect(second!.logs()).not.toContain('dispatch step failed');
  }, 90_000);
});

describe('Kafka refusing the sends', () => {
  it('keeps the admitted shoppers in flight at their original tickets, sends them again even while paused, and admits nobody in their place', async () => {
    const requestsTopic = uniqueName('faults-gone');
    await createTestTopics([{ topic: requestsTopic, numPartitions: 1 }]);
    const id = uniqueName('sendfail');
    const k = eventKeys(TENANT, id);
    const users = Array.from({ length: 20 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    await fillQueue(redis, k, users);
    const file = fileFor(eventConfig(id, { tenant: TENANT, rate: 5, stock: 1000, mode: 'paused' }));
    const g = await startGate(
      gateEnv(topics, {
        EVENTS_FILE: file.path,
        TOPIC_ISSUE_REQUESTS: requestsTopic,
        KAFKA_SEND_TIMEOUT_MS: '2000',
        REQUEUE_INTERVAL_MS: '200',
      }),
    );
    const failed = async () => Number(await redis.hget(k.stats, 'requeuedFailed'));
    try {
      await deleteTestTopics([requestsTopic]);
      const config = (mode: 'fifo' | 'paused', generation: number) =>
        eventConfig(id, { tenant: TENANT, rate: 5, stock: 1000, mode, generation });
      file.write([config('fifo', 2)]);
      await waitFor('a failed send', async () => (await failed()) > 0, 30_000, 100);
      expect(await metricValue(g, 'rediclaim_gate_kafka_send_failures_total')).toBeGreaterThan(0);

      // Paused: nobody new is admitted, but the shoppers whose sends failed (perhaps
      // stored by Kafka all the same) stay in flight and their requests keep being sent.
      file.write([config('paused', 3)]);
      await waitFor('the pause to apply', () => g.gate.events.get(id)?.config.generation === 3);
      const before = await failed();
      await waitFor('a re-send while paused', async () => (await failed()) > before, 30_000, 100);
      const inFlight = await redis.hgetall(k.inflight);
      const n = Object.keys(inFlight).length;
      expect(n).toBeGreaterThan(0);
      expect(Object.keys(inFlight).sort()).toEqual(users.slice(0, n));
      for (const [user, ticket] of Object.entries(inFlight))
        expect(ticket).toBe(String(2 ** 48 + users.indexOf(user) + 1));
      expect(await redis.zrange(k.queue, 0, '-1')).toEqual(users.slice(n));
      expect(Number(await redis.hget(k.stats, 'resent'))).toBeGreaterThan(0);
      const view = (await g.http({ url: `/v1/events/${id}/queue/me?userId=s00` })).json();
      expect(view).toMatchObject({ status: 'PROCESSING', rank: null });

      await createTestTopics([{ topic: requestsTopic, numPartitions: 1 }]);
      file.write([config('fifo', 4)]);
      await waitFor(
        'every shopper sent',
        async () =>
          (await redis.zcard(k.queue)) === 0 &&
          (await redis.zcard(k.retry)) === 0 &&
          (await redis.hlen(k.inflight)) === users.length,
        60_000,
        200,
      );
      expect(Number(await redis.hget(k.stats, 'admittedTotal'))).toBe(users.length);
    } finally {
      await g.stop();
      await deleteTestTopics([requestsTopic]).catch(() => undefined);
    }
  }, 120_000);
});
