import {
  CouponEventApi,
  EVENTS_CONFIG_KIND,
  configShardOf,
  type EventConfig,
  type EventsConfig,
} from '@rediclaim/core';

/** An id found in two shards, and which one was kept. */
export interface Duplicate {
  id: string;
  kept: number;
  dropped: number;
}

/**
 * The last good events of each config shard, merged into the one config the store
 * serves. A shard that was never read, or does not exist, holds no events. An id can
 * show up in two shards only while the shard count changes (an old shard not yet
 * rewritten): the shard the id hashes to now wins, as the operator writes it there.
 */
export class ShardedEvents {
  private readonly shards: (readonly EventConfig[])[];

  constructor(private readonly count: number) {
    this.shards = Array.from({ length: count }, () => []);
  }

  set(shard: number, events: readonly EventConfig[]): void {
    this.shards[shard] = events;
  }

  merged(): { config: EventsConfig; duplicates: Duplicate[] } {
    const byId = new Map<string, { event: EventConfig; shard: number }>();
    const duplicates: Duplicate[] = [];
    this.shards.forEach((events, shard) => {
      for (const event of events) {
        const other = byId.get(event.id);
        if (!other) {
          byId.set(event.id, { event, shard });
          continue;
        }
        const home = configShardOf(event.id, this.count);
        const keep = shard === home ? shard : other.shard;
        duplicates.push({
          id: event.id,
          kept: keep,
          dropped: keep === shard ? other.shard : shard,
        });
        if (keep === shard) byId.set(event.id, { event, shard });
      }
    });
    const events = [...byId.values()].map((e) => e.event);
    return {
      config: { apiVersion: CouponEventApi.apiVersion, kind: EVENTS_CONFIG_KIND, events },
      duplicates,
    };
  }
}
