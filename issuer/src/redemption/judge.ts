import { ErrorCode, discountFor, isUsableAt, type Discount } from '@rediclaim/core';

/** An issued coupon as redemption sees it. */
export interface CouponFacts {
  userId: string;
  discount: Discount;
  validFrom: Date;
  validUntil: Date;
}

/** What the shop's order offers the coupon. */
export interface OrderFacts {
  userId: string;
  /** Minor units. */
  orderAmount: number;
  currency?: string | undefined;
}

export type Judgement =
  { ok: true; discountAmount: number } | { ok: false; code: ErrorCode; message: string };

/**
 * Whether a coupon can be used on an order now, and what it takes off: the rules of
 * validate and redeem alike, apart from whether it is already redeemed (that needs the
 * coupon locked). A coupon is personal: it was issued to one shopper in a crowd that
 * queued for it, so another user cannot spend it.
 */
export function judgeRedemption(coupon: CouponFacts, order: OrderFacts, now: Date): Judgement {
  if (order.userId !== coupon.userId) {
    return refuse(ErrorCode.CouponNotOwned, 'the coupon was issued to another user');
  }
  if (!isUsableAt(coupon, now)) {
    return now < coupon.validFrom
      ? refuse(
          ErrorCode.CouponNotYetValid,
          `the coupon can be used from ${coupon.validFrom.toISOString()}`,
        )
      : refuse(ErrorCode.CouponExpired, `the coupon expired at ${coupon.validUntil.toISOString()}`);
  }
  const currency = coupon.discount.currency;
  if (currency !== undefined && order.currency !== undefined && order.currency !== currency) {
    return refuse(
      ErrorCode.CurrencyMismatch,
      `the coupon is in ${currency}, the order in ${order.currency}`,
    );
  }
  const minimum = coupon.discount.minOrderAmount;
  if (minimum !== undefined && order.orderAmount < minimum) {
    return refuse(
      ErrorCode.OrderBelowMinimum,
      `the coupon needs an order of at least ${minimum} (minor units), got ${order.orderAmount}`,
    );
  }
  return { ok: true, discountAmount: discountFor(coupon.discount, order.orderAmount) };
}

function refuse(code: ErrorCode, message: string): Judgement {
  return { ok: false, code, message };
}
