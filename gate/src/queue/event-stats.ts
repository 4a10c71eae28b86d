import { Phase } from '@rediclaim/core';
import type { LiveEvent } from '../config/live-event.js';
import type { StatsReply } from '../redis/script-replies.js';
import type { EventStats } from './views.js';

/**
 * One event's live counts (admin API, the operator, the event page) from what the stats
 * script read. `event` is absent for an event that left the config.
 */
export function eventStatsOf(
  tenant: string,
  eventId: string,
  event: LiveEvent | undefined,
  reply: StatsReply,
  now: number,
): EventStats {
  const { fields } = reply;
  const num = (name: string) => Number(fields.get(name) ?? 0) || 0;
  const deleted =
    reply.tombstone !== '' &&
    (!event?.uid || reply.tombstone === '*' || reply.tombstone === event.uid);
  const stock = event?.stock ?? 0;
  const issued = num('issued');
  const soldOutAt = fields.has('soldOutAtStock') ? num('soldOutAtStock') : -1;
  const soldOut = event !== undefined && (issued >= stock || soldOutAt >= stock);
  // Waiting = shoppers who can still get something. Those left in the queue of a sold-out
  // or ended event are told SOLD_OUT / EVENT_CLOSED; they keep their place only for a
  // raised stock (DELETE frees it).
  const over = soldOut || deleted || (event !== undefined && event.phase(now) === Phase.Closed);
  return {
    tenant,
    eventId,
    known: event !== undefined || reply.waiting > 0 || reply.processing > 0 || fields.size > 0,
    waiting: over ? 0 : reply.waiting,
    processing: reply.processing,
    issued,
    remaining: Math.max(0, stock - issued),
    soldOut,
    // Never below 0: a state forgotten after the retention cannot be taken back.
    redeemed: Math.max(0, num('redeemed')),
    admittedTotal: num('admittedTotal'),
    outcomes: {
      ISSUED: num('outcome:ISSUED'),
      SOLD_OUT: num('outcome:SOLD_OUT'),
      ALREADY_ISSUED: num('outcome:ALREADY_ISSUED'),
      REJECTED: num('outcome:REJECTED'),
    },
    stock,
    generation: event?.config.generation ?? 0,
    // Shoppers per second, to 2 decimals: an EWMA carries no more precision than that,
    // and slow sales (under 1/s) still read more than 0.
    admissionRate: Math.round(num('rate') * 100) / 100,
    requeued: { timeout: num('requeuedTimeout'), sendFailed: num('requeuedFailed') },
    ...(event ? { backpressure: backpressureOf(event.rate, fields) } : {}),
    deleted,
  };
}

/** The fleet's allowance as admit.lua keeps it in the stats hash (absent: the whole rate). */
function backpressureOf(
  rate: number,
  fields: ReadonlyMap<string, string>,
): NonNullable<EventStats['backpressure']> {
  const allow = Math.min(1, Number(fields.get('allowFactor') ?? 1) || 1);
  const since = Number(fields.get('allowSlowSince'));
  const slowed = allow < 1;
  return {
    configuredPerSecond: rate,
    allowedPerSecond: Math.round(rate * allow),
    slowed,
    overdue: Math.max(0, Number(fields.get('allowOverdue') ?? 0) || 0),
    ...(slowed && since > 0 ? { since: new Date(since).toISOString() } : {}),
    slowdowns: Math.max(0, Number(fields.get('slowdowns') ?? 0) || 0),
  };
}
