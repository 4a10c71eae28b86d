// A sale on a Redis Cluster of three masters and three replicas (hack/stack's
// RC_REDIS_CLUSTER=1): the master holding the event's slot is killed with kill -9
// mid-sale, the cluster promotes its replica by itself, and the sale ends with every
// promise kept. The gate's waits for a replica (REDIS_CLUSTER_REPLICA_WAIT_MS) are what
// make that hold: a join answered, or a result recorded before its Kafka offset was
// committed, is on the replica the cluster promotes. Private servers: killing a master
// must not disturb other suites.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventKeys } from '@rediclaim/core';
import { startPrivateStack, testRedisCluster, type PrivateStack } from '@rediclaim/hack/testing';
import { waitFor } from '../support/e2e.js';
import { saleSurvives } from '../support/sale-survives.js';

let stack: PrivateStack;

beforeAll(async () => {
  stack = await startPrivateStack('redis-cluster', ['redis', 'mariadb', 'kafka', 'apiserver'], {
    redisCluster: true,
  });
}, 240_000);

afterAll(async () => {
  await stack?.destroy();
});

describe('a sale on a Redis Cluster', () => {
  it('keeps every promise when the master of its slot is killed with kill -9 and its replica takes over', async () => {
    const cluster = testRedisCluster(stack.env);
    const killed: { port: number; slot: number; promoted: number }[] = [];
    /** The port of the master serving a slot now, as a surviving node sees it. */
    const masterOf = async (slot: number, ask = cluster) => {
      const ranges = await ask.cluster('SLOTS');
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      return range?.[2] ? Number(range[2][1]) : undefined;
    };
    try {
      await saleSurvives(stack, 'rc-failover', async (e2e, eventId) => {
        const keys = eventKeys(e2e.tenants.shop!, eventId);
        const slot = Number(await cluster.cluster('KEYSLOT', keys.queue));
        const port = (await masterOf(slot))!;
        // The sale's queue lives there, and its replica has a copy.
        expect(await cluster.exists(keys.stats)).toBe(1);
        const node = stack.env.redisCluster!.nodes.find((n) => n.port === port)!;
        process.kill(Number(readFileSync(node.pidFile, 'utf8')), 'SIGKILL');
        // The cluster notices (cluster-node-timeout) and promotes the replica.
        const started = Date.now();
        let promoted: number | undefined;
        await waitFor(
          'a replica promoted to the dead master’s slots',
          async () => {
            try {
              promoted = await masterOf(slot);
              return promoted !== undefined && promoted !== port;
            } catch {
              return false;
            }
          },
          60_000,
        );
        killed.push({ port, slot, promoted: promoted! });
        console.log(
          `master ${port} killed; ${promoted} serves slot ${slot} after ${Date.now() - started} ms`,
        );
      });
    } finally {
      cluster.disconnect();
    }
    expect(killed).toHaveLength(1);
  }, 300_000);
});
