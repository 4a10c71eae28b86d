import { z } from 'zod';
import { tenantSchema } from '../config/events-config.js';
import { discountSchema, eventIdSchema } from '../couponevent/spec.js';
import { ticketSchema, userIdSchema } from '../identity.js';

/**
 * The issuer's domain events, one Kafka record each on the coupons topic, published by
 * its transactional outbox: written in the same MySQL transaction as the change they
 * announce, so nothing is published that was not committed and nothing committed is
 * missed. Delivery is at least once: consumers deduplicate by `id` (stable across
 * republishing) and order a coupon's events by `sequence` (they are keyed by the
 * coupon, so one partition holds a coupon's history in order; a republished event may
 * arrive again after later ones, `sequence` tells).
 */

const dateTime = z.iso.datetime({ offset: true });

export const couponLifecycleTypes = ['CouponIssued', 'CouponRedeemed', 'CouponReleased'] as const;
export type CouponLifecycleType = (typeof couponLifecycleTypes)[number];

/** Which coupon: opaque stable id, the code the shopper holds, its owner and sale. */
export const couponRefSchema = z.object({
  /** Stable id of the coupon (`cpn_<sale>_<serial>`): the record key. */
  id: z.string().regex(/^cpn_\d+_\d+$/, 'must look like cpn_<sale>_<serial>'),
  code: z.string().min(1).max(64),
  serial: z.int().min(1),
  userId: userIdSchema,
});
export type CouponRef = z.output<typeof couponRefSchema>;

const envelope = {
  version: z.literal(1),
  /** Unique and stable: the same event published twice carries the same id. */
  id: z.string().min(1).max(200),
  /** Increases along a coupon's history (the outbox row): issued < redeemed < released. */
  sequence: z.int().min(1),
  occurredAt: dateTime,
  tenant: tenantSchema,
  eventId: eventIdSchema,
  /** The sale (CouponEvent uid) when the request named one. */
  uid: z.string().min(1).max(64).optional(),
  coupon: couponRefSchema,
};

export const couponIssuedSchema = z.object({
  type: z.literal('CouponIssued'),
  ...envelope,
  requestId: z.string().min(1).max(400),
  ticket: ticketSchema,
  discount: discountSchema,
  validFrom: dateTime,
  validUntil: dateTime,
});
export type CouponIssued = z.output<typeof couponIssuedSchema>;

/** What a redemption was for: the shop's order and what the coupon took off it. */
export const redemptionRefSchema = z.object({
  /** Stable id of the redemption (`rdm_<n>`). */
  id: z.string().regex(/^rdm_\d+$/, 'must look like rdm_<n>'),
  orderId: z.string().min(1).max(128),
  /** Minor units. */
  orderAmount: z.int().min(0),
  discountAmount: z.int().min(0),
  currency: z.string().length(3).optional(),
});
export type RedemptionRef = z.output<typeof redemptionRefSchema>;

export const couponRedeemedSchema = z.object({
  type: z.literal('CouponRedeemed'),
  ...envelope,
  redemption: redemptionRefSchema,
});
export type CouponRedeemed = z.output<typeof couponRedeemedSchema>;

export const couponReleasedSchema = z.object({
  type: z.literal('CouponReleased'),
  ...envelope,
  redemption: redemptionRefSchema,
  /** Why the shop gave the coupon back (order cancelled, payment failed, ...). */
  reason: z.string().min(1).max(200),
});
export type CouponReleased = z.output<typeof couponReleasedSchema>;

export const couponLifecycleEventSchema = z.discriminatedUnion('type', [
  couponIssuedSchema,
  couponRedeemedSchema,
  couponReleasedSchema,
]);
export type CouponLifecycleEvent = z.output<typeof couponLifecycleEventSchema>;

/** Versions of the lifecycle events this build reads. */
export const couponLifecycleVersions = [1] as const;

/** The stable id of a coupon: its sale's row and its serial in that sale. */
export function couponIdOf(saleId: number, serial: number): string {
  return `cpn_${saleId}_${serial}`;
}

export function redemptionIdOf(n: number): string {
  return `rdm_${n}`;
}

/** The number inside `rdm_<n>`, or undefined when it is not a redemption id. */
export function redemptionNumberOf(id: string): number | undefined {
  const match = /^rdm_(\d{1,15})$/.exec(id);
  return match ? Number(match[1]) : undefined;
}

/** The id a lifecycle event is published under: what it is about and what happened. */
export function lifecycleEventIdOf(type: CouponLifecycleType, subject: string): string {
  const verb = { CouponIssued: 'issued', CouponRedeemed: 'redeemed', CouponReleased: 'released' };
  return `${subject}.${verb[type]}`;
}
