import { parseEventsConfig, type EventConfig } from '@rediclaim/core';
import type { ReconcileContext } from '../reconcile-context.js';

/**
 * Rebuilds what was served from the ConfigMap when a term starts: an event keeps its
 * last accepted config even if its current spec is refused, across restarts and leader
 * changes. Entries whose CouponEvent no longer exists (or is another object now) are
 * dropped.
 */
export async function seedFromConfigMap(ctx: ReconcileContext): Promise<void> {
  const { configMap, served, cache, logger } = ctx;
  const text = await configMap.read();
  const written = new Map<string, number>();
  const restored: [string, EventConfig][] = [];
  if (text !== undefined) {
    let events: EventConfig[] = [];
    try {
      events = parseEventsConfig(text, `ConfigMap ${configMap.ref}`).events;
    } catch (error) {
      logger.error({ err: String(error) }, 'the events ConfigMap is unreadable; rendering it anew');
    }
    for (const config of events) {
      if (!config.name) continue;
      const key = `${config.tenant}/${config.name}`;
      written.set(key, config.generation);
      const event = cache.get(key);
      if (event && event.metadata.uid === config.uid) restored.push([key, config]);
    }
  }
  served.restore(restored, written);
  logger.info({ served: served.size, inConfigMap: written.size }, 'loaded the events ConfigMap');
}
