/**
 * The Redis key scheme. Every key of one event shares the hash tag `{tenant/eventId}`,
 * so each Lua script touches one Redis Cluster slot, and different events spread over
 * shards. Tenants (namespaces) and event ids cannot contain braces or "/"; the
 * schemas guarantee the tag is unambiguous.
 */
export const KEY_PREFIX = 'rc';

/**
 * HASH eventId → tenant of every event a gate has served. An event's keys need its
 * tenant, which leaves the config with the event: this lets any replica, including one
 * started after the deletion, still find a deleted event's outcomes and tombstone.
 */
export const EVENT_TENANTS_KEY = `${KEY_PREFIX}:event-tenants`;

export interface EventKeys {
  /** ZSET shopper → ticket: the waiting line, in ticket order. */
  queue: string;
  /** STRING: the last ticket handed out. */
  seq: string;
  /** HASH shopper → ticket of shoppers admitted and awaiting a result. */
  inflight: string;
  /** ZSET shopper → deadline (ms): when an admitted shopper's request is sent again. */
  deadlines: string;
  /**
   * ZSET shopper → ticket of admitted shoppers (still in `inflight`) whose request may or
   * may not have reached the issuer (a failed send, a missed deadline): sent again, same
   * ticket, before anyone new is admitted.
   */
  retry: string;
  /**
   * ZSET shopper → when they were admitted (ms, Redis time) while in flight, kept through
   * re-sends: the age of the oldest admission still awaiting its result.
   */
  admittedAt: string;
  /** HASH shopper → JSON outcome, kept for the event's retention. */
  results: string;
  /** HASH of counters (admitted, issued, soldOut, ...) and event state (soldOutAtStock). */
  stats: string;
  /** HASH: the fleet-wide token bucket (tokens, last refill in server µs). */
  limiter: string;
  /** STRING: set when the event was deleted, so late pollers learn it ended. */
  tombstone: string;
  /**
   * ZSET sale uid → when it was retired (ms): sales of this event id that were deleted
   * or replaced, whose outcomes stay readable for the retention in `retiredResults(uid)`.
   */
  retired: string;
  /**
   * HASH `<serial>:<code>` → `<sequence>|<state>|<at>|<userId>`: the redemption state of
   * the event's coupons (REDEEMED, or AVAILABLE once released), from the issuer's
   * lifecycle events; each keeps the highest `sequence` applied. Coupons never redeemed
   * have none. Shared by every sale of the event id (the serial and code tell coupons
   * apart), kept for the retention after the last change.
   */
  redemptions: string;
  /**
   * STRING: solved joins (proof of work) in the current one-second window, fleet-wide;
   * expires with its window. spendPow.lua counts it to detect a join spike.
   */
  powJoins: string;
  /** STRING, present while the event's join spike lasts (PX = the spike's holdSeconds). */
  powSpike: string;
  /**
   * The prefix of the spent-solution keys (not a key itself): `<powSolutions><signature>`
   * (powSolutionKey) is a STRING set once per challenge, until it expires, so a
   * solution joins once.
   */
  powSolutions: string;
  /**
   * Pub/sub channel (not a key): the gates announce here what changed for whom (admitted,
   * decided, sold out, retired), so the replica holding a shopper's push stream hears of
   * it whichever replica made the change. Carries the event's hash tag too, so a sharded
   * Redis (SPUBLISH) keeps it on the event's shard.
   */
  changes: string;
}

export function eventHashTag(tenant: string, eventId: string): string {
  return `{${tenant}/${eventId}}`;
}

export function eventKeys(tenant: string, eventId: string): EventKeys {
  const p = `${KEY_PREFIX}:${eventHashTag(tenant, eventId)}:`;
  return {
    queue: `${p}queue`,
    seq: `${p}seq`,
    inflight: `${p}inflight`,
    deadlines: `${p}deadlines`,
    retry: `${p}retry`,
    admittedAt: `${p}admitted-at`,
    results: `${p}results`,
    stats: `${p}stats`,
    limiter: `${p}limiter`,
    tombstone: `${p}tombstone`,
    retired: `${p}retired`,
    redemptions: `${p}redemptions`,
    powJoins: `${p}pow-joins`,
    powSpike: `${p}pow-spike`,
    powSolutions: `${p}pow:`,
    changes: `${p}changes`,
  };
}

/**
 * HASH shopper → outcome of one retired sale of the event (`EventKeys.retired` lists
 * them): the holders of its coupons keep seeing them, whatever became of the event id.
 * The Lua scripts build the same name from the `retired` key: `<retired>:<uid>:results`.
 */
export function retiredResultsKey(tenant: string, eventId: string, uid: string): string {
  return `${eventKeys(tenant, eventId).retired}:${uid}:results`;
}

/** The spent-solution key of one challenge (its HMAC signature, hex): in the event's slot. */
export function powSolutionKey(keys: Pick<EventKeys, 'powSolutions'>, signature: string): string {
  return `${keys.powSolutions}${signature}`;
}
