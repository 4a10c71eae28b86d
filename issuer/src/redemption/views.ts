import {
  couponIdOf,
  redemptionIdOf,
  type CouponRef,
  type Discount,
  type RedemptionRef,
} from '@rediclaim/core';
import type { AuditEntry, StoredCoupon, StoredRedemption } from './redemption-store.js';

/**
 * The redemption API's answers: what a shop sees of a coupon and of a redemption. Ids
 * are the lifecycle events' (cpn_…, rdm_…), so an answer and an event name the same
 * things the same way.
 */

export interface RedemptionView {
  id: string;
  state: 'REDEEMED' | 'RELEASED';
  couponId: string;
  code: string;
  tenant: string;
  eventId: string;
  userId: string;
  orderId: string;
  orderAmount: number;
  discountAmount: number;
  currency?: string;
  redeemedAt: string;
  releasedAt?: string;
  releaseReason?: string;
}

export interface CouponView {
  id: string;
  code: string;
  tenant: string;
  eventId: string;
  userId: string;
  serial: number;
  discount: Discount;
  validFrom: string;
  validUntil: string;
  issuedAt: string;
  /** AVAILABLE: can be redeemed (if within its window); REDEEMED: by `redemption`. */
  state: 'AVAILABLE' | 'REDEEMED';
  redemption?: RedemptionView;
  history: HistoryEntry[];
}

export interface HistoryEntry {
  action: string;
  at: string;
  redemptionId?: string;
  orderId?: string;
  code?: string;
  detail?: string;
}

export function redemptionView(r: StoredRedemption, coupon: StoredCoupon): RedemptionView {
  return {
    id: redemptionIdOf(r.id),
    state: r.state,
    couponId: couponIdOf(r.saleId, r.serial),
    code: coupon.code,
    tenant: r.tenant,
    eventId: coupon.eventId,
    userId: r.userId,
    orderId: r.orderId,
    orderAmount: r.orderAmount,
    discountAmount: r.discountAmount,
    ...(r.currency ? { currency: r.currency } : {}),
    redeemedAt: r.redeemedAt.toISOString(),
    ...(r.releasedAt ? { releasedAt: r.releasedAt.toISOString() } : {}),
    ...(r.releaseReason ? { releaseReason: r.releaseReason } : {}),
  };
}

export function couponView(
  coupon: StoredCoupon,
  active: StoredRedemption | undefined,
  audit: readonly AuditEntry[] = [],
): CouponView {
  return {
    id: couponIdOf(coupon.saleId, coupon.serial),
    code: coupon.code,
    tenant: coupon.tenant,
    eventId: coupon.eventId,
    userId: coupon.userId,
    serial: coupon.serial,
    discount: coupon.discount,
    validFrom: coupon.validFrom.toISOString(),
    validUntil: coupon.validUntil.toISOString(),
    issuedAt: coupon.issuedAt.toISOString(),
    state: active ? 'REDEEMED' : 'AVAILABLE',
    ...(active ? { redemption: redemptionView(active, coupon) } : {}),
    history: audit.map((a) => ({
      action: a.action,
      at: a.at.toISOString(),
      ...(a.redemptionId !== null ? { redemptionId: redemptionIdOf(a.redemptionId) } : {}),
      ...(a.orderId !== null ? { orderId: a.orderId } : {}),
      ...(a.code !== null ? { code: a.code } : {}),
      ...(a.detail !== null ? { detail: a.detail } : {}),
    })),
  };
}

/** The lifecycle events' view of a coupon and a redemption. */
export function couponRefOf(coupon: StoredCoupon): CouponRef {
  return {
    id: couponIdOf(coupon.saleId, coupon.serial),
    code: coupon.code,
    serial: coupon.serial,
    userId: coupon.userId,
  };
}

export function redemptionRefOf(r: StoredRedemption): RedemptionRef {
  return {
    id: redemptionIdOf(r.id),
    orderId: r.orderId,
    orderAmount: r.orderAmount,
    discountAmount: r.discountAmount,
    ...(r.currency ? { currency: r.currency } : {}),
  };
}
