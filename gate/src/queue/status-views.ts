import { Phase, UserStatus } from '@rediclaim/core';
import type { LiveEvent } from '../config/live-event.js';
import type { StatusView, StoredResult } from './views.js';

/**
 * How a shopper's standing reads in the APIs: the view of each state, and the poll
 * interval and ETA of a waiting shopper. Pure: the waiting room passes what Redis said.
 */

/** A fresh measurement of the fleet's admission rate is younger than this. */
const RATE_FRESH_MS = 5_000;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export function parseStored(text: string): StoredResult {
  return JSON.parse(text) as StoredResult;
}

export function finalView(
  eventId: string,
  status: UserStatus,
  phase: Phase | undefined,
): StatusView {
  return {
    eventId,
    status,
    ...(phase ? { phase } : {}),
    rank: null,
    ahead: null,
    etaSeconds: null,
    preQueue: false,
    pollAfterMs: null,
  };
}

/** A shopper's outcome in a sale this event id had before (deleted or replaced). */
export function formerSaleOf(stored: StoredResult): NonNullable<StatusView['formerSale']> {
  return {
    status: stored.status,
    ...(stored.coupon ? { coupon: stored.coupon } : {}),
    decidedAt: stored.decidedAt,
  };
}

export function processingView(event: LiveEvent, phase: Phase): StatusView {
  return { ...finalView(event.id, UserStatus.Processing, phase), pollAfterMs: 1000 };
}

export function resultView(
  eventId: string,
  stored: StoredResult,
  phase: Phase | undefined,
): StatusView {
  const view = finalView(eventId, stored.status, phase);
  if (stored.coupon) view.coupon = stored.coupon;
  if (stored.reason) view.reason = stored.reason;
  view.decidedAt = stored.decidedAt;
  view.issuedCount = stored.issuedCount;
  return view;
}

export function closedStatus(eventId: string, reason: string): StatusView {
  return { ...finalView(eventId, UserStatus.EventClosed, Phase.Closed), reason };
}

export function closedView(event: LiveEvent, reason: string): StatusView {
  const view = closedStatus(event.id, reason);
  if (event.config.schedule.closesAt) view.closesAt = event.config.schedule.closesAt;
  return view;
}

export function notOpenView(event: LiveEvent, now: number): StatusView {
  const { opensAt, preQueueOpensAt } = event.config.schedule;
  const next = Date.parse(preQueueOpensAt ?? opensAt);
  return {
    ...finalView(event.id, UserStatus.EventNotOpen, Phase.Scheduled),
    pollAfterMs: Math.round(clamp((next - now) / 2, 1000, 60_000)),
    opensAt,
    ...(preQueueOpensAt ? { preQueueOpensAt } : {}),
  };
}

/**
 * A waiting shopper: rank, people ahead, the ETA at the fleet's live admission rate (the
 * configured one when no fresh measurement exists) and when to ask again.
 */
export function waitingView(
  event: LiveEvent,
  phase: Phase,
  place: { rank: number; ticket: number; rate: string; rateAt: string },
  now: number,
): StatusView {
  const preQueue = phase === Phase.PreQueue;
  const ahead = place.rank - 1;
  let etaSeconds: number | null = null;
  if (phase === Phase.Open) {
    const observed = place.rate === '' ? NaN : Number(place.rate);
    const fresh =
      place.rateAt !== '' && now - Number(place.rateAt) < RATE_FRESH_MS && observed >= 0;
    const effective = fresh ? Math.min(event.rate, observed) : event.rate;
    etaSeconds = effective >= 0.01 ? Math.ceil(ahead / effective) : null;
  }
  let pollAfterMs: number;
  if (preQueue) {
    pollAfterMs = clamp((Date.parse(event.config.schedule.opensAt) - now) / 2, 1000, 30_000);
  } else if (etaSeconds === null) {
    pollAfterMs = 5000;
  } else {
    pollAfterMs = clamp((etaSeconds * 1000) / 5, 1000, 10_000);
  }
  const view: StatusView = {
    eventId: event.id,
    status: UserStatus.Waiting,
    phase,
    rank: place.rank,
    ahead,
    etaSeconds,
    preQueue,
    pollAfterMs: Math.round(pollAfterMs),
    ticketNumber: place.ticket,
  };
  if (preQueue) view.opensAt = event.config.schedule.opensAt;
  return view;
}
