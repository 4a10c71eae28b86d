import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Redis, type Cluster } from 'ioredis';
import { eventKeys } from '@rediclaim/core';
import {
  redisClusterNodesOf,
  startPrivateStack,
  testRedisCluster,
  uniqueName,
  type PrivateStack,
} from '@rediclaim/hack/testing';
import { GateScripts, type Gate } from '@rediclaim/gate';
import { SuiteEvents } from './support/suite-events.js';
import {
  gateEnv,
  startGate,
  suiteTopics,
  type InProcessGate,
  type Topics,
} from './support/harness.js';
import { IssuerSim } from './support/issuer-sim.js';
import { PushClient } from './support/push-client.js';
import { shopperApi } from './support/shoppers.js';

/**
 * The gate on a real Redis Cluster of three masters and three replicas (hack/stack's
 * RC_REDIS_CLUSTER=1, a private stack) with the test stack's Kafka: events whose keys
 * live on different masters, one gate joining, admitting and recording them all (one
 * Kafka batch of results over several events: pipelines per slot), a push stream on a
 * second gate told by the first one's notices (sharded pub/sub), and every join
 * answered only once a replica holds it.
 */
const TENANT = 'cluster';

let stack: PrivateStack;
let cluster: Cluster;
let topics: Topics;
let sim: IssuerSim;
let a: InProcessGate;
let b: InProcessGate;
const events = new SuiteEvents(TENANT);
const clients: PushClient[] = [];
/** Events chosen so that every master holds at least two. */
const ids: string[] = [];
/** A paused event: its joins stay in the queue. */
const paused = uniqueName('paused');
/** The master (host:port) serving each event's slot when the suite started. */
const masterOf = new Map<string, string>();

const baseOf = (gate: Gate) =>
  `http://127.0.0.1:${(gate.app.server.address() as AddressInfo).port}`;
const shopperA = shopperApi(() => a.http);

/** host:port of the master serving a slot, and of its replicas (CLUSTER SLOTS). */
async function slotOwners(slot: number): Promise<{ master: string; replicas: string[] }> {
  const ranges = await cluster.cluster('SLOTS');
  const [, , master, ...replicas] = ranges.find(([from, to]) => slot >= from && slot <= to)!;
  return {
    master: `${master![0]}:${master![1]}`,
    replicas: replicas.map((r) => `${r[0]}:${r[1]}`),
  };
}

const nodeClient = (address: string) => {
  const [host, port] = address.split(':');
  return new Redis({ host: host!, port: Number(port), lazyConnect: false });
};

beforeAll(async () => {
  stack = await startPrivateStack('rcluster', ['redis'], { redisCluster: true });
  cluster = testRedisCluster(stack.env);
  // Events named until each of the three masters serves two of them.
  const perMaster = new Map<string, number>();
  for (let i = 0; ids.length < 6 && i < 200; i++) {
    const id = uniqueName(`ev${i}`);
    const slot = Number(await cluster.cluster('KEYSLOT', eventKeys(TENANT, id).queue));
    const { master } = await slotOwners(slot);
    if ((perMaster.get(master) ?? 0) >= 2) continue;
    perMaster.set(master, (perMaster.get(master) ?? 0) + 1);
    masterOf.set(id, master);
    ids.push(id);
  }
  topics = await suiteTopics('rcluster');
  for (const id of ids) events.define(id, { rate: 200, stock: 1_000 });
  events.define(paused, { mode: 'paused' });
  sim = new IssuerSim(topics, { kind: 'issue' });
  await sim.start();
  const clustered = {
    REDIS_URL: '',
    REDIS_CLUSTER_NODES: redisClusterNodesOf(stack.env),
    EVENTS_FILE: events.path(),
    DISPATCH_INTERVAL_MS: '20',
    REDIS_CLUSTER_REPLICA_WAIT_MS: '300',
  };
  a = await startGate(gateEnv(topics, clustered));
  // The second gate only streams: it admits and records nothing, so what its streams
  // tell came through the first one's notices.
  b = await startGate(gateEnv(topics, { ...clustered, GATE_PUSH_ENABLED: 'true' }), {
    background: false,
  });
}, 180_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await a?.stop();
  await b?.stop();
  await sim?.stop();
  cluster?.disconnect();
  await stack?.destroy();
}, 60_000);

describe('the gate on a Redis Cluster', () => {
  it('spreads events over the three masters, each event on one slot', async () => {
    expect(ids).toHaveLength(6);
    expect(new Set(masterOf.values()).size).toBe(3);
    for (const id of ids) {
      const keys = Object.values(eventKeys(TENANT, id));
      const slots = await Promise.all(keys.map((k) => cluster.cluster('KEYSLOT', k)));
      expect(new Set(slots).size).toBe(1);
    }
    // And CLUSTER NODES agrees: three masters with slots, three replicas.
    const lines = String(await cluster.cluster('NODES'))
      .trim()
      .split('\n');
    const role = (line: string) => (line.split(' ')[2] ?? '').split(',');
    expect(lines.filter((l) => role(l).includes('master') && /\d+-\d+/.test(l))).toHaveLength(3);
    expect(lines.filter((l) => role(l).includes('slave'))).toHaveLength(3);
  });

  it('pipelines joins of events on different masters (one pipeline per slot)', async () => {
    const scripts = new GateScripts(a.gate.redis);
    const calls = ids.flatMap((id) =>
      ['p1', 'p2'].map((user) => ({
        keys: eventKeys(TENANT, id),
        args: {
          userId: user,
          stock: 1_000,
          perUserLimit: 1,
          maxQueueLength: 1_000_000,
          preQueueTicket: '',
          uid: '',
        },
      })),
    );
    const replies = await scripts.enqueueMany(calls);
    expect(replies.map((r) => r.kind)).toEqual(calls.map(() => 'QUEUED'));
    // Each event's keys are on its own master, read there directly (its ticket counter:
    // the dispatcher may have admitted the shoppers already).
    for (const id of ids) {
      const node = nodeClient(masterOf.get(id)!);
      try {
        expect([id, await node.exists(eventKeys(TENANT, id).seq)]).toEqual([id, 1]);
      } finally {
        node.disconnect();
      }
    }
  });

  it('joins, admits and records the results of every event in one gate', async () => {
    const users = ['ann', 'bob', 'cid', 'dee'];
    for (const id of ids)
      for (const user of users) expect((await shopperA.join(id, user)).statusCode).toBe(201);
    for (const id of ids)
      for (const user of users) {
        const view = await shopperA.untilStatus(id, user, 'ISSUED', 30_000);
        expect(view.coupon?.code).toEqual(expect.any(String));
      }
    // Results of several events came in one Kafka batch at least once: every event was
    // recorded, through one script call per event and chunk.
    const { values } = await a.gate.metrics.results.get();
    expect(values.reduce((sum, v) => sum + v.value, 0)).toBeGreaterThanOrEqual(ids.length * 4);
  }, 60_000);

  it('answers a join only once a replica of its master holds it', async () => {
    const queue = eventKeys(TENANT, paused).queue;
    const { replicas } = await slotOwners(Number(await cluster.cluster('KEYSLOT', queue)));
    expect(replicas).toHaveLength(1);
    const replica = nodeClient(replicas[0]!);
    const unreplicated = async () =>
      (await a.gate.metrics.redisUnreplicated.get()).values.reduce((sum, v) => sum + v.value, 0);
    try {
      await replica.call('READONLY');
      for (let i = 0; i < 20; i++) {
        const user = `r${i}`;
        expect((await shopperA.join(paused, user)).statusCode).toBe(201);
        // On the replica the moment the join is answered.
        expect([user, await replica.zscore(queue, user)]).not.toEqual([user, null]);
      }
      expect(await unreplicated()).toBe(0);

      // Joins at once share their WAITs: one covers every write before it on the
      // connection to that master (counted by the master itself).
      const master = nodeClient(
        (await slotOwners(Number(await cluster.cluster('KEYSLOT', queue)))).master,
      );
      const waits = async () =>
        Number(/cmdstat_wait:calls=(\d+)/.exec(await master.info('commandstats'))?.[1] ?? 0);
      try {
        const before = await waits();
        const joins = await Promise.all(
          Array.from({ length: 100 }, (_, i) => shopperA.join(paused, `burst-${i}`)),
        );
        expect(joins.map((j) => j.statusCode)).toEqual(joins.map(() => 201));
        const used = (await waits()) - before;
        // At most two per WAIT's round trip, however many joins: fewer than one each.
        expect(used).toBeGreaterThan(0);
        expect(used).toBeLessThan(joins.length);
      } finally {
        master.disconnect();
      }

      // The replica stopped (SIGSTOP, shorter than the cluster's node timeout): a join
      // waits REDIS_CLUSTER_REPLICA_WAIT_MS for it, then is answered and counted.
      const node = stack.env.redisCluster!.nodes.find((n) => `${n.host}:${n.port}` === replicas[0]);
      const pid = Number(readFileSync(node!.pidFile, 'utf8'));
      process.kill(pid, 'SIGSTOP');
      let took: number;
      try {
        const started = Date.now();
        expect((await shopperA.join(paused, 'while-stopped')).statusCode).toBe(201);
        took = Date.now() - started;
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      expect(took).toBeGreaterThanOrEqual(280);
      expect(await unreplicated()).toBe(1);
    } finally {
      replica.disconnect();
    }
  }, 30_000);

  it('tells a push stream on another gate what the first one recorded (sharded pub/sub)', async () => {
    for (const id of ids.slice(0, 3)) {
      const user = uniqueName('pushed');
      const stream = new PushClient(
        `${baseOf(b.gate)}/v1/events/${id}/queue/me/stream?userId=${encodeURIComponent(user)}`,
      );
      clients.push(stream);
      expect((await shopperA.join(id, user)).statusCode).toBe(201);
      await stream.status('ISSUED', 30_000);
      await stream.end();
    }
    // Heard as notices (not only the routine resyncs).
    const { values } = await b.gate.metrics.pushNotices.get();
    expect(values.find((v) => v.labels.outcome === 'received')?.value ?? 0).toBeGreaterThan(0);
  }, 60_000);
});
