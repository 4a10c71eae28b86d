import { EventEmitter } from 'node:events';
import type { EventsConfig } from '@rediclaim/core';
import { LiveEvent } from './live-event.js';

export interface ConfigChange {
  source: string;
  added: string[];
  changed: string[];
  removed: string[];
}

/**
 * The events this gate serves, swapped whole on every valid config (the merged
 * ConfigMap shards, or a file). Lookups by event id are what every request does first.
 */
export class EventsStore extends EventEmitter<{ change: [ConfigChange] }> {
  private byId = new Map<string, LiveEvent>();
  private loadedOnce = false;
  /** When the last valid config was applied (ms), and where it came from. */
  lastAppliedAt = 0;
  lastSource = '';

  get(eventId: string): LiveEvent | undefined {
    return this.byId.get(eventId);
  }

  /** The event of a tenant, for the admin API (tenant + id). */
  find(tenant: string, eventId: string): LiveEvent | undefined {
    const event = this.byId.get(eventId);
    return event && event.tenant === tenant ? event : undefined;
  }

  all(): IterableIterator<LiveEvent> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }

  /** True once any valid config was applied: the gate is not ready before. */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  apply(config: EventsConfig, source: string, now = Date.now()): ConfigChange {
    const next = new Map<string, LiveEvent>();
    const change: ConfigChange = { source, added: [], changed: [], removed: [] };
    for (const event of config.events) {
      const old = this.byId.get(event.id);
      // The very config object as before (a shard that did not change): nothing to compare.
      if (old && old.config === event) {
        next.set(event.id, old);
        continue;
      }
      const fresh = new LiveEvent(event);
      if (!old) change.added.push(event.id);
      else if (!old.sameAs(fresh)) change.changed.push(event.id);
      // Keep the old object (and its phase cache) when nothing changed.
      next.set(event.id, old && old.sameAs(fresh) ? old : fresh);
    }
    for (const id of this.byId.keys()) if (!next.has(id)) change.removed.push(id);
    this.byId = next;
    this.loadedOnce = true;
    this.lastAppliedAt = now;
    this.lastSource = source;
    this.emit('change', change);
    return change;
  }
}
