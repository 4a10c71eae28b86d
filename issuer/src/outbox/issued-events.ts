import {
  check,
  couponIdOf,
  couponIssuedSchema,
  describeProblems,
  lifecycleEventIdOf,
  type CouponIssued,
  type Discount,
} from '@rediclaim/core';
import { integer, memo } from '../db/sql-values.js';
import type { IssuedRanges } from './outbox-rows.js';

/**
 * The CouponIssued events of one `CouponsIssued` outbox row, built from the coupons it
 * names (issued_coupons joined with their sale's row in coupon_events). Those rows never
 * change once committed, so building the events again (a relay that died before
 * marking the row) gives the same events, ids and all: consumers can deduplicate.
 */

/** One issued coupon with its sale, as `issuedCouponsQuery` reads it. */
export interface IssuedCouponRecord {
  saleId: number;
  serial: number;
  userId: string;
  code: string;
  requestId: string;
  ticket: number;
  discount: Discount;
  validFrom: Date;
  validUntil: Date;
  issuedAt: Date;
  tenant: string;
  eventId: string;
  /** '' when the sale's uid is not known. */
  uid: string;
}

/** The coupons of a row's ranges, in serial order (the primary key is (event_id, serial)). */
export function issuedCouponsQuery(ranges: IssuedRanges): string {
  const serials = ranges.ranges
    .map(([from, to]) => `c.serial BETWEEN ${integer(from)} AND ${integer(to)}`)
    .join(' OR ');
  return `SELECT c.event_id AS saleId, c.serial, c.user_id AS userId, c.code,
       c.request_id AS requestId, c.ticket, c.discount, c.valid_from AS validFrom,
       c.valid_until AS validUntil, c.issued_at AS issuedAt,
       e.tenant, e.event_id AS eventId, e.uid
     FROM issued_coupons c JOIN coupon_events e ON e.id = c.event_id
     WHERE c.event_id = ${integer(ranges.saleId)} AND (${serials})
     ORDER BY c.serial`;
}

/** How many coupons the ranges name (each range counts from..to inclusive). */
export function serialCount(ranges: IssuedRanges): number {
  return ranges.ranges.reduce((n, [from, to]) => n + Math.max(0, to - from + 1), 0);
}

/** The event announcing one coupon; `sequence` is its outbox row's id. */
export function couponIssuedOf(
  sequence: number,
  c: IssuedCouponRecord,
  iso: (d: Date) => string = (d) => d.toISOString(),
): CouponIssued {
  const id = couponIdOf(c.saleId, c.serial);
  return {
    type: 'CouponIssued',
    version: 1,
    id: lifecycleEventIdOf('CouponIssued', id),
    sequence,
    occurredAt: iso(c.issuedAt),
    tenant: c.tenant,
    eventId: c.eventId,
    ...(c.uid ? { uid: c.uid } : {}),
    coupon: { id, code: c.code, serial: c.serial, userId: c.userId },
    requestId: c.requestId,
    ticket: c.ticket,
    discount: c.discount,
    validFrom: iso(c.validFrom),
    validUntil: iso(c.validUntil),
  };
}

/**
 * Why the coupons read for a row cannot be its coupons, if they cannot: every serial
 * of its ranges must have one (they commit together, so a missing one means the
 * ranges are wrong).
 */
export function missingCoupons(
  ranges: IssuedRanges,
  coupons: readonly IssuedCouponRecord[],
): string | undefined {
  const expected = serialCount(ranges);
  return coupons.length === expected
    ? undefined
    : `its ranges name ${expected} coupons of sale ${ranges.saleId}, and issued_coupons holds ${coupons.length} of them`;
}

/**
 * The events of (some of) a row's coupons, or why they cannot be published: every
 * event must pass core's schema (a consumer must be able to read whatever is published).
 */
export function issuedEventsOf(
  sequence: number,
  coupons: readonly IssuedCouponRecord[],
): { events: CouponIssued[] } | { invalid: string } {
  // A transaction's coupons share their instants: each is formatted once.
  const isoOf = memo((ms: number) => new Date(ms).toISOString());
  const iso = (d: Date) => isoOf(d.getTime());
  const events: CouponIssued[] = [];
  for (const coupon of coupons) {
    const event = couponIssuedOf(sequence, coupon, iso);
    const checked = check(couponIssuedSchema, event);
    if (!checked.ok)
      return { invalid: `${event.id} is invalid: ${describeProblems(checked.problems)}` };
    events.push(event);
  }
  return { events };
}
