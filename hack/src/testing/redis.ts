import { Cluster, Redis } from 'ioredis';
import { stackEnv, type StackEnv } from './env.js';

/** A client of the test stack's Redis. Suites isolate by tenant/event names in their keys. */
export function testRedis(): Redis {
  return new Redis(stackEnv().redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
}

/** REDIS_CLUSTER_NODES for a stack started with redisCluster (every node, host:port). */
export function redisClusterNodesOf(env: StackEnv): string {
  if (!env.redisCluster)
    throw new Error(`stack ${env.stack} has no Redis Cluster (start it with redisCluster)`);
  return env.redisCluster.nodes.map((n) => `${n.host}:${n.port}`).join(',');
}

/** How the gate reaches a stack's Redis: REDIS_CLUSTER_NODES on a clustered stack, else REDIS_URL. */
export function gateRedisEnv(env: StackEnv): Record<string, string> {
  return env.redisCluster
    ? { REDIS_CLUSTER_NODES: redisClusterNodesOf(env) }
    : { REDIS_URL: env.redisUrl };
}

/** A Cluster client of a stack's Redis Cluster (tests look at slots and nodes through it). */
export function testRedisCluster(env: StackEnv): Cluster {
  return new Cluster(env.redisCluster?.nodes ?? [], { redisOptions: { maxRetriesPerRequest: 3 } });
}
