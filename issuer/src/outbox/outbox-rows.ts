import { escape } from 'mysql2';
import { z } from 'zod';
import type { CouponLifecycleEvent } from '@rediclaim/core';
import { sqlDateTime } from '../db/sql-values.js';

/**
 * The rows of `coupon_outbox` (db/entities/outbox-entry.ts), as the transactions that
 * make a change write them and as the relay reads them back. Two kinds:
 * - `CouponsIssued`: `{ saleId, ranges: [[from, to], ...] }`, the serials a deciding
 *   transaction issued; the relay builds one CouponIssued per coupon from its row.
 * - `Event`: one whole lifecycle event without its `sequence`, which is the row's id
 *   (known only once inserted; it orders a coupon's events because each change that
 *   writes one has locked the coupon first).
 */

export const issuedRangesSchema = z.object({
  saleId: z.int().min(1),
  ranges: z.array(z.tuple([z.int().min(1), z.int().min(1)])).min(1),
});
export type IssuedRanges = z.output<typeof issuedRangesSchema>;

/** A lifecycle event as stored: everything but the sequence the row's id gives it. */
export type StoredLifecycleEvent = CouponLifecycleEvent extends infer E
  ? E extends CouponLifecycleEvent
    ? Omit<E, 'sequence'>
    : never
  : never;

/** Consecutive serials folded into [from, to] ranges. */
export function serialRanges(serials: readonly number[]): [number, number][] {
  const sorted = [...serials].sort((a, b) => a - b);
  const ranges: [number, number][] = [];
  for (const serial of sorted) {
    const last = ranges.at(-1);
    if (last && serial === last[1] + 1) last[1] = serial;
    else if (!last || serial !== last[1]) ranges.push([serial, serial]);
  }
  return ranges;
}

/**
 * The outbox row of a deciding transaction that issued coupons (a batch's serials follow
 * one another, so one range); undefined when it issued none.
 */
export function issuedOutboxInsert(
  saleId: number,
  serials: readonly number[],
  now: Date,
): string | undefined {
  if (serials.length === 0) return undefined;
  const payload: IssuedRanges = { saleId, ranges: serialRanges(serials) };
  return `INSERT INTO coupon_outbox (kind, payload, created_at)
     VALUES ('CouponsIssued', ${escape(JSON.stringify(payload))}, ${escape(sqlDateTime(now))})`;
}

/** The outbox row of one lifecycle event (a redemption, a release). */
export function eventOutboxInsert(event: StoredLifecycleEvent, now: Date): string {
  return `INSERT INTO coupon_outbox (kind, payload, created_at)
     VALUES ('Event', ${escape(JSON.stringify(event))}, ${escape(sqlDateTime(now))})`;
}
