import type * as k8s from '@kubernetes/client-node';
import { configShardName, configShardOf } from '@rediclaim/core';
import { EventsConfigMap } from './config-map.js';

/** The label that says which shard a ConfigMap is (for `kubectl get cm -l`). */
export const SHARD_LABEL = 'rediclaim.io/config-shard';

/**
 * The gate's config as N ConfigMaps `<base>-<n>`, each event in the one its id hashes
 * to (core's configShardOf, which the gate uses too). A shard is a complete events
 * config of its own, so one edit rewrites one shard, and a shard the gate cannot read
 * costs only its own events.
 */
export class EventsConfigShards {
  readonly shards: readonly EventsConfigMap[];

  constructor(
    api: k8s.CoreV1Api,
    readonly namespace: string,
    readonly base: string,
    count: number,
  ) {
    this.shards = Array.from(
      { length: count },
      (_, shard) =>
        new EventsConfigMap(api, namespace, configShardName(base, shard), {
          'app.kubernetes.io/component': 'events-config',
          [SHARD_LABEL]: String(shard),
        }),
    );
  }

  get count(): number {
    return this.shards.length;
  }

  /** `ns/base-0 … base-<N-1>`, for logs. */
  get ref(): string {
    return `${this.namespace}/${this.base}-{0..${this.count - 1}}`;
  }

  shardOf(eventId: string): number {
    return configShardOf(eventId, this.count);
  }

  /** The ConfigMap that serves an event id. */
  of(eventId: string): EventsConfigMap {
    return this.shards[this.shardOf(eventId)]!;
  }

  /** What all shards hold, as far as we know: event key → generation. */
  held(): Map<string, number> {
    const all = new Map<string, number>();
    for (const shard of this.shards) for (const [key, gen] of shard.held()) all.set(key, gen);
    return all;
  }
}
