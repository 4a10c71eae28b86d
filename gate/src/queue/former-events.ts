import { EVENT_TENANTS_KEY } from '@rediclaim/core';
import type { RedisClient } from '../redis/client.js';
import type { EventsStore } from '../config/events-store.js';

/**
 * The tenants of every event the fleet has served. An event's Redis keys need its tenant,
 * which leaves the config with the event; this finds it again, so shoppers of a deleted
 * event keep seeing their outcome (or EVENT_CLOSED) on any replica, one started after
 * the deletion included. Kept in this replica's memory and, for the others, in Redis
 * (EVENT_TENANTS_KEY, one field per event ever served).
 */
export class FormerEventDirectory {
  private readonly tenants = new Map<string, string>();
  /** Events whose tenant is in Redis already. */
  private readonly shared = new Set<string>();
  /** A write to EVENT_TENANTS_KEY failed: the next lookup tries again. */
  private sharingFailed = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly events: EventsStore,
  ) {
    this.remember();
    events.on('change', () => this.remember());
  }

  /** The tenant of an event that left the config: this replica's memory, else Redis'. */
  async tenantOf(eventId: string): Promise<string | undefined> {
    const known = this.tenants.get(eventId);
    if (known) return known;
    if (this.sharingFailed) this.remember();
    const shared = await this.redis.hget(EVENT_TENANTS_KEY, eventId);
    if (shared) this.tenants.set(eventId, shared);
    return shared ?? undefined;
  }

  private remember(): void {
    this.sharingFailed = false;
    const fresh: string[] = [];
    for (const event of this.events.all()) {
      this.tenants.set(event.id, event.tenant);
      if (!this.shared.has(event.id)) fresh.push(event.id, event.tenant);
    }
    if (fresh.length === 0) return;
    // Not awaited: the config applies at once. Should Redis be away, the next change
    // or lookup tries again, and every replica that serves the event writes it too.
    this.redis.hset(EVENT_TENANTS_KEY, ...fresh).then(
      () => {
        for (let i = 0; i < fresh.length; i += 2) this.shared.add(fresh[i]!);
      },
      () => (this.sharingFailed = true),
    );
  }
}
