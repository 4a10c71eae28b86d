import { Phase, UserStatus } from '@rediclaim/core';
import type { LiveEvent } from '../config/live-event.js';
import type { WaitingCounts } from '../redis/script-replies.js';
import type { StatusView, StoredResult } from './views.js';

/**
 * How a shopper's standing reads in the APIs: the view of each state, and the poll
 * interval and ETA of a waiting shopper. Pure: the waiting room passes what Redis said.
 */

/** A fresh measurement of the fleet's admission rate is younger than this. */
const RATE_FRESH_MS = 5_000;

/*
 * Poll intervals. A request costs the same whatever it answers, so each shopper is asked
 * back when the answer is likely to have changed (issue 16: at most ~3 requests per
 * shopper over a sale, everyone knowing within 10 s of the sell-out).
 */

/** Nobody is asked back sooner: below this, the gate's own answer time is the interval. */
const MIN_POLL_MS = 1_000;
/**
 * Nobody waits longer without asking. The estimates a longer interval would trust can
 * be wrong in the shopper's favour: people ahead turn out to hold their coupon already
 * (the stock they would have taken stays), the operator raises the stock, admission
 * speeds up again. 30 s bounds how late that is seen, for one request per shopper per
 * 30 s (3,300/s for 100,000 shoppers held at it, which two gates afford); 60 s would
 * halve the cost and double the lateness.
 */
const POLL_CAP_MS = 30_000;
/**
 * From an admission to its outcome recorded at the gate, as planned for: the issuer
 * usually decides in a fraction of it (the push benchmark: decided → recorded p99
 * 455 ms); the rest is margin for the results' way back.
 */
const DECISION_MS = 750;
/**
 * A wait up to this long is planned to its end (asked back when the outcome should be
 * there); a longer one is asked again halfway, so a rate that changed meanwhile is seen.
 */
const NEAR_MS = 10_000;
/**
 * The shoppers beyond the stock all expect the same moment (the sell-out): they come back
 * spread over this window, each at their own point in it (spreadOf), instead of at once.
 * 3 s puts the last of a 5 s sale's crowd at its answer within 10 s of the opening (issue
 * 16), with the page's 10 % on top; 90,000 of them then ask 30,000 times a second, less
 * than the join spike (100,000 in a second) the same fleet is sized for.
 */
const SPREAD_MS = 3_000;
/** Admission stopped, measured so or the event paused: nothing tells when it moves again. */
const STOPPED_POLL_MS = 5_000;

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

/**
 * An admitted shopper asks again after half as long as the issuer has had their request
 * (`ageMs`, since the admission; unknown on a join): 1 s at first, when the issuer usually
 * answers within a fraction of it, then less often the longer the decision takes, so a
 * slow or stalled issuer costs each shopper a few requests instead of one a second, and a
 * late decision is seen at most half its wait late. The processing timeout is the ceiling:
 * past it the request is sent again and its answer comes as soon as a first one would.
 */
export function processingView(event: LiveEvent, phase: Phase, ageMs?: number): StatusView {
  const ceiling = Math.max(MIN_POLL_MS, Math.min(POLL_CAP_MS, event.processingTimeoutMs));
  const pollAfterMs =
    ageMs === undefined || !(ageMs >= 0) ? MIN_POLL_MS : clamp(ageMs / 2, MIN_POLL_MS, ceiling);
  return {
    ...finalView(event.id, UserStatus.Processing, phase),
    pollAfterMs: Math.round(pollAfterMs),
  };
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

/** Where a waiting shopper stands, as the enqueue and status scripts read it. */
export type WaitingPlace = WaitingCounts;

/**
 * A waiting shopper: rank, people ahead, the ETA at the fleet's live admission rate (the
 * configured one when no fresh measurement exists) and when to ask again (waitingPollMs).
 */
export function waitingView(
  event: LiveEvent,
  phase: Phase,
  place: WaitingPlace,
  now: number,
): StatusView {
  const preQueue = phase === Phase.PreQueue;
  const ahead = place.rank - 1;
  let etaSeconds: number | null = null;
  let pollAfterMs = STOPPED_POLL_MS;
  if (preQueue) {
    // Nothing moves before the opening, and a place in the pre-queue only gets worse
    // (later joiners draw places ahead too): planned from the opening as if open there,
    // nothing issued yet, so nobody comes back just to learn the sale has opened.
    const untilOpen = Math.max(0, Date.parse(event.config.schedule.opensAt) - now);
    const atOpening = { ...place, issued: 0, inflight: 0 };
    pollAfterMs = clampPoll(untilOpen + waitingTargetMs(event, atOpening, event.rate), place);
  } else if (phase === Phase.Open) {
    const rate = admissionRate(event, place, now);
    etaSeconds = rate === null ? null : Math.ceil(ahead / rate);
    pollAfterMs = clampPoll(waitingTargetMs(event, place, rate), place);
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

/**
 * Admissions/s to expect: the fleet's fresh measurement, never above the configured rate,
 * or the configured rate when there is none; null when measured (nearly) stopped.
 */
function admissionRate(event: LiveEvent, place: WaitingPlace, now: number): number | null {
  const observed = place.rate === '' ? NaN : Number(place.rate);
  const fresh = place.rateAt !== '' && now - Number(place.rateAt) < RATE_FRESH_MS && observed >= 0;
  const effective = fresh ? Math.min(event.rate, observed) : event.rate;
  return effective >= 0.01 ? effective : null;
}

/**
 * When a waiting shopper in an open sale should ask again, from where they stand against
 * the stock nobody holds yet (stock - confirmed - in flight):
 * - within it (fewer people ahead than those coupons), they will be admitted: asked back
 *   when their outcome should be recorded (ETA + DECISION_MS), or halfway through a wait
 *   longer than NEAR_MS, to re-estimate;
 * - beyond it, they will most likely learn SOLD_OUT: asked back when the stock not yet
 *   confirmed should be admitted and decided at the admission rate (when the issuer keeps
 *   up, the coupons in flight are decided as fast as they are admitted; when it stalls,
 *   they stay unconfirmed and the interval stays long), spread over SPREAD_MS.
 * Unclamped (clampPoll bounds it).
 */
function waitingTargetMs(event: LiveEvent, place: WaitingPlace, rate: number | null): number {
  const ahead = place.rank - 1;
  const unconfirmed = Math.max(0, event.stock - place.issued);
  const unclaimed = Math.max(0, unconfirmed - place.inflight);
  if (ahead >= unclaimed) {
    // Measured stopped, admission mostly waits for the last coupons in flight (the end of
    // a sale); the configured rate is then the best guess of how fast they are decided.
    const goneMs = (unconfirmed / (rate ?? event.rate)) * 1000 + DECISION_MS;
    return goneMs + spreadOf(place.ticket) * SPREAD_MS;
  }
  if (rate === null) return STOPPED_POLL_MS;
  const etaMs = (ahead / rate) * 1000;
  return Math.min(etaMs + DECISION_MS, Math.max(NEAR_MS, etaMs / 2));
}

/**
 * Never sooner than MIN_POLL_MS, never later than the shopper's own ceiling: POLL_CAP_MS
 * minus their share of SPREAD_MS, so a crowd held at the cap does not come back at once.
 */
function clampPoll(targetMs: number, place: WaitingPlace): number {
  const ceiling = POLL_CAP_MS - (1 - spreadOf(place.ticket)) * SPREAD_MS;
  return clamp(targetMs, MIN_POLL_MS, ceiling);
}

/**
 * A shopper's own point in [0, 1), fixed by their ticket: Knuth's multiplicative hash of
 * its low 32 bits, so consecutive tickets land far apart and any crowd spreads evenly.
 */
export function spreadOf(ticket: number): number {
  return (Math.imul((ticket % 2 ** 32) | 0, 0x9e3779b1) >>> 0) / 2 ** 32;
}
