import { Cluster, Redis } from 'ioredis';
import {
  redisClusterNodeOptions,
  redisConnectionOptions,
  type RedisConnectionSettings,
} from './connection-options.js';

/**
 * The gate's Redis: one server (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES).
 * Everything the gate sends works on both: every script and pipeline stays within one
 * event's hash tag (one slot; gate-scripts.ts groups pipelines by slot), the few keys
 * outside events are single-key commands, and push notices go over sharded pub/sub on a
 * Cluster (push/change-channels.ts).
 */
export type RedisClient = Redis | Cluster;

export interface RedisClientSettings extends RedisConnectionSettings {
  REDIS_COMMAND_TIMEOUT_MS: number;
}

export function createRedisClient(s: RedisClientSettings): RedisClient {
  const common = {
    commandTimeout: s.REDIS_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
  };
  if (s.REDIS_CLUSTER_NODES) {
    return new Cluster(
      s.REDIS_CLUSTER_NODES.map((n) => ({ host: n.host, port: n.port })),
      {
        redisOptions: { ...redisClusterNodeOptions(s), ...common },
        // As for one server: commands issued in the same tick share one write per node.
        enableAutoPipelining: true,
        lazyConnect: true,
        // Push notices are published with SPUBLISH (an event's notices stay on its shard);
        // the subscriber (a duplicate) listens per master.
        shardedSubscribers: true,
      },
    );
  }
  return new Redis({
    ...redisConnectionOptions(s),
    ...common,
    // Commands issued in the same tick share one write: fewer syscalls under load.
    enableAutoPipelining: true,
    lazyConnect: true,
  });
}

export function isCluster(redis: RedisClient): redis is Cluster {
  return redis.isCluster;
}

/** The connection push streams listen on: in subscriber mode it can do nothing else. */
export function createSubscriber(redis: RedisClient): RedisClient {
  // A stream's wait is not a command's: no timeout.
  if (isCluster(redis))
    return redis.duplicate(undefined, {
      redisOptions: { ...redis.options.redisOptions, commandTimeout: undefined },
    });
  return redis.duplicate({ commandTimeout: undefined });
}
