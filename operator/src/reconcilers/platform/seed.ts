import type { EventConfig } from '@rediclaim/core';
import type { ReconcileContext } from '../reconcile-context.js';
import { heldKeyOf } from './config-map.js';

/**
 * Rebuilds what was served from the ConfigMap shards when a term starts: an event keeps
 * its last accepted config even if its current spec is refused, across restarts and
 * leader changes. Entries whose CouponEvent no longer exists (or is another object
 * now) are dropped. Shards are read at once: a term starts in one round trip.
 */
export async function seedFromConfigMap(ctx: ReconcileContext): Promise<void> {
  const { configShards, served, cache, logger } = ctx;
  await Promise.all(configShards.shards.map((shard) => shard.read()));
  const written = new Map<string, number>();
  const restored: [string, EventConfig][] = [];
  for (const shard of configShards.shards) {
    const { events, problem } = shard.content();
    if (problem)
      logger.error(
        { err: problem, configMap: shard.ref },
        'an events ConfigMap is unreadable; rendering it anew',
      );
    for (const config of events) {
      const key = heldKeyOf(config);
      if (!key) continue;
      written.set(key, config.generation);
      const event = cache.get(key);
      if (event && event.metadata.uid === config.uid) restored.push([key, config]);
    }
  }
  served.restore(restored, written);
  logger.info(
    { served: served.size, inConfigMaps: written.size, configMaps: configShards.ref },
    'loaded the events ConfigMaps',
  );
}
