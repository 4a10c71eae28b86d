import type { IssuedCoupon, Phase, UserStatus } from '@rediclaim/core';
import type { LiveEvent } from '../config/live-event.js';

/** Why an event no longer takes anyone: its schedule ended, or it was deleted. */
export const ClosedReason = { Ended: 'EVENT_ENDED', Deleted: 'EVENT_DELETED' } as const;

/**
 * Where a coupon stands at the shop, from the issuer's lifecycle events: AVAILABLE (never
 * redeemed, or given back) or REDEEMED. `since`: when it last changed (absent while it
 * was never redeemed). Only the state and its time: the shop's order stays the shop's.
 */
export interface RedemptionView {
  state: 'AVAILABLE' | 'REDEEMED';
  since?: string;
}

/** One shopper's standing in one event, as the APIs report it. */
export interface StatusView {
  eventId: string;
  status: UserStatus;
  /** The event's phase now (absent when the event is not in the config any more). */
  phase?: Phase;
  /** 1-based place in the queue while WAITING; null in the pre-queue (the order is drawn at opening). */
  rank: number | null;
  /** People ahead (rank - 1). */
  ahead: number | null;
  /** Seconds until admission at the fleet's live admission rate; null when unknown (paused, pre-queue). */
  etaSeconds: number | null;
  /** Joined before opening: the place is drawn fairly at random among the pre-queue. */
  preQueue: boolean;
  /** When to ask again; null once the answer is final. */
  pollAfterMs: number | null;
  coupon?: IssuedCoupon;
  /** The coupon's redemption state (absent when the gate does not follow the coupons topic). */
  redemption?: RedemptionView;
  /** Coupons this shopper holds from the event (for perUserLimit > 1). */
  issuedCount?: number;
  /** REJECTED: the issuer's reason; EVENT_CLOSED: EVENT_ENDED or EVENT_DELETED. */
  reason?: string;
  decidedAt?: string;
  opensAt?: string;
  closesAt?: string;
  preQueueOpensAt?: string;
  /** The shopper's ticket while WAITING or PROCESSING (not serialised; signed into `ticket`). */
  ticketNumber?: number;
  /**
   * The shopper's outcome in a sale this event id had before (its CouponEvent deleted or
   * replaced): a coupon from it stays valid and visible.
   */
  formerSale?: {
    status: UserStatus;
    coupon?: IssuedCoupon;
    redemption?: RedemptionView;
    decidedAt: string;
  };
}

/** The issuer's outcome as the gate stores it (results hash). */
export interface StoredResult {
  issuedCount: number;
  ticket: number;
  status: UserStatus;
  coupon?: IssuedCoupon;
  reason?: string;
  decidedAt: string;
}

/** What happened to a join that was not refused. */
export type JoinAnswer = 'ENQUEUED' | 'ALREADY_ENQUEUED' | 'PROCESSING';

export interface JoinResult {
  answer: JoinAnswer;
  /** The shopper's ticket (order of service). */
  ticket: number;
  view: StatusView;
}

/** One event's live counts: the gate admin API's contract (core). */
export type { EventStats } from '@rediclaim/core';

/** The public page of an event: schedule, phase and live counts. */
export interface EventInfo {
  eventId: string;
  displayName: string;
  phase: Phase;
  opensAt: string;
  closesAt: string | null;
  preQueueOpensAt: string | null;
  nextChangeAt: string | null;
  secondsToNextChange: number | null;
  discount: LiveEvent['config']['coupon']['discount'];
  perUserLimit: number;
  stock: number;
  remaining: number;
  soldOut: boolean;
  waiting: number;
  dispatchPerSecond: number;
  admissionRate: number;
  /** Joins need a solved challenge (GET .../challenge, then the X-Pow-Solution header). */
  proofOfWork: boolean;
}
