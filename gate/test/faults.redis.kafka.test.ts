import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { eventKeys, GATE_ADMIN_PREFIX, type IssueRequest } from '@rediclaim/core';
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
  it('pauses admission by itself: the admitted stay in flight at their original tickets, the waiting keep their place, the room stays ready; it resumes by itself, retries first', async () => {
    const requestsTopic = uniqueName('faults-gone');
    await createTestTopics([{ topic: requestsTopic, numPartitions: 1 }]);
    const id = uniqueName('sendfail');
    const k = eventKeys(TENANT, id);
    const users = Array.from({ length: 20 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    await fillQueue(redis, k, users);
    // Nobody answers on this topic: a long timeout keeps the sent in flight, not re-sent.
    const sale = { tenant: TENANT, rate: 5, stock: 1000, processingTimeoutSeconds: 300 };
    const file = fileFor(eventConfig(id, { ...sale, mode: 'paused' }));
    const g = await startGate(
      gateEnv(topics, {
        EVENTS_FILE: file.path,
        TOPIC_ISSUE_REQUESTS: requestsTopic,
        KAFKA_SEND_TIMEOUT_MS: '2000',
        KAFKA_PROBE_INTERVAL_MS: '200',
        REQUEUE_INTERVAL_MS: '200',
        // Time to take Kafka's topic away between an admission and its send.
        DISPATCH_TEST_HOLD_AFTER_ADMIT_MS: '3000',
      }),
    );
    const failed = async () => Number(await redis.hget(k.stats, 'requeuedFailed'));
    const admitted = async () => Number(await redis.hget(k.stats, 'admittedTotal'));
    try {
      const config = (mode: 'fifo' | 'paused', generation: number) =>
        eventConfig(id, { ...sale, mode, generation });
      file.write([config('fifo', 2)]);
      await waitFor('an admission', async () => (await redis.hlen(k.inflight)) > 0, 30_000, 50);
      await deleteTestTopics([requestsTopic]);
      await waitFor('a failed send', async () => (await failed()) > 0, 30_000, 100);
      expect(await metricValue(g, 'rediclaim_gate_kafka_send_failures_total')).toBeGreaterThan(0);
      await waitFor(
        'the gate to see Kafka down',
        async () => (await metricValue(g, 'rediclaim_gate_kafka_up')) === 0,
      );
      expect(await metricValue(g, 'rediclaim_gate_admission_paused')).toBe(1);

      // Nobody new is admitted while Kafka is down: the count stays, however many ticks.
      const admittedDuringOutage = await admitted();
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await admitted()).toBe(admittedDuringOutage);
      const inFlight = await redis.hgetall(k.inflight);
      const n = Object.keys(inFlight).length;
      expect(n).toBe(admittedDuringOutage);
      expect(Object.keys(inFlight).sort()).toEqual(users.slice(0, n));
      for (const [user, ticket] of Object.entries(inFlight))
        expect(ticket).toBe(String(2 ** 48 + users.indexOf(user) + 1));
      expect(await redis.zrange(k.queue, 0, '-1')).toEqual(users.slice(n));

      // The room keeps answering: ready, the admitted read PROCESSING, the waiting keep
      // their place under a paused phase, and the operator's stats say why.
      const ready = await g.admin({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks.kafka).toMatchObject({ ok: false, informational: true });
      expect((await g.http({ url: `/v1/events/${id}/queue/me?userId=s00` })).json()).toMatchObject({
        status: 'PROCESSING',
        rank: null,
      });
      expect(
        (await g.http({ url: `/v1/events/${id}/queue/me?userId=${users[n]}` })).json(),
      ).toMatchObject({ status: 'WAITING', rank: 1, phase: 'Paused', etaSeconds: null });
      const stats = await g.admin({ url: `${GATE_ADMIN_PREFIX}/${TENANT}/${id}/stats` });
      expect(stats.json().admission).toMatchObject({ paused: true, reason: 'KafkaUnavailable' });

      // Paused by its config when Kafka returns: nobody new, but the admitted (perhaps
      // stored by Kafka all the same) are sent again, with the same requestIds.
      file.write([config('paused', 3)]);
      await waitFor('the pause to apply', () => g.gate.events.get(id)?.config.generation === 3);
      await createTestTopics([{ topic: requestsTopic, numPartitions: 1 }]);
      await waitFor(
        'the admitted to be sent again once Kafka answers',
        async () =>
          Number(await redis.hget(k.stats, 'resent')) > 0 && (await redis.zcard(k.retry)) === 0,
        60_000,
        200,
      );
      expect(await metricValue(g, 'rediclaim_gate_kafka_up')).toBe(1);
      expect(await metricValue(g, 'rediclaim_gate_admission_paused')).toBe(0);
      expect(await admitted()).toBe(n);
      expect(await redis.zrange(k.queue, 0, '-1')).toEqual(users.slice(n));

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
      expect(await admitted()).toBe(users.length);
    } finally {
      await g.stop();
      await deleteTestTopics([requestsTopic]).catch(() => undefined);
    }
  }, 180_000);
});
