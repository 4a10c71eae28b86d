import { isCluster, type RedisClient } from '../redis/client.js';

/**
 * How change notices travel: classic pub/sub on one Redis; sharded pub/sub (SPUBLISH,
 * SSUBSCRIBE: Redis 7) on a Cluster, where a classic PUBLISH would be copied to every
 * node over the cluster bus. An event's channel carries its hash tag, so its notices
 * stay on the master of its slot, and the subscriber listens on each master it needs.
 */
export interface ChangeChannels {
  publish(channel: string, text: string): Promise<unknown>;
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  /** The subscriber's event that carries a notice: (channel, text). */
  readonly messageEvent: 'message' | 'smessage';
  /**
   * The subscriber's event after it (re)subscribed: a reconnect to one Redis, a new
   * set of masters on a Cluster (a failover); notices published meanwhile are lost.
   */
  readonly subscribedEvent: 'ready' | 'subscribersReady';
}

export function changeChannelsOf(redis: RedisClient): ChangeChannels {
  if (isCluster(redis))
    return {
      publish: (channel, text) => redis.spublish(channel, text),
      subscribe: (channel) => redis.ssubscribe(channel),
      unsubscribe: (channel) => redis.sunsubscribe(channel),
      messageEvent: 'smessage',
      subscribedEvent: 'subscribersReady',
    };
  return {
    publish: (channel, text) => redis.publish(channel, text),
    subscribe: (channel) => redis.subscribe(channel),
    unsubscribe: (channel) => redis.unsubscribe(channel),
    messageEvent: 'message',
    subscribedEvent: 'ready',
  };
}
