import type { CouponLifecycleEvent } from '@rediclaim/core';
import type { RedemptionView, StatusView } from './views.js';

/**
 * The coupons' redemption states as the gate keeps them (EventKeys.redemptions, written
 * by applyCouponEvent.lua) and as shoppers read them. Pure.
 *
 * A coupon's field is `<serial>:<code>`: both are in the stored result a shopper reads and
 * in every lifecycle event, and together they tell apart the coupons of every sale the
 * event id had. Its value is `<sequence>|<state>|<at>|<userId>`.
 */

export function redemptionField(code: string, serial: number): string {
  return `${serial}:${code}`;
}

/** The state a lifecycle event leaves its coupon in; undefined for CouponIssued (nothing to apply). */
export function redemptionStateOf(
  event: CouponLifecycleEvent,
): RedemptionView['state'] | undefined {
  if (event.type === 'CouponRedeemed') return 'REDEEMED';
  if (event.type === 'CouponReleased') return 'AVAILABLE';
  return undefined;
}

/**
 * What a stored state says to the coupon's holder: none (never redeemed), or one of
 * another shopper's coupon (it cannot be theirs), reads AVAILABLE.
 */
export function redemptionViewOf(stored: string | null, userId: string): RedemptionView {
  const match = stored ? /^(\d+)\|([A-Z]+)\|([^|]*)\|(.*)$/s.exec(stored) : null;
  if (!match || match[4] !== userId) return { state: 'AVAILABLE' };
  const state = match[2] === 'REDEEMED' ? 'REDEEMED' : 'AVAILABLE';
  return match[3] ? { state, since: match[3] } : { state };
}

/** The fields to read for a view's coupons: its own, then its former sale's. */
export function redemptionFieldsOf(view: StatusView): string[] {
  return [view.coupon, view.formerSale?.coupon]
    .filter((c) => c !== undefined)
    .map((c) => redemptionField(c.code, c.serial));
}

/** The view with its coupons' states (`stored` in the order of redemptionFieldsOf). */
export function withRedemptions(
  view: StatusView,
  userId: string,
  stored: readonly (string | null)[],
): StatusView {
  const out = { ...view };
  if (view.coupon) out.redemption = redemptionViewOf(stored[0] ?? null, userId);
  if (view.formerSale?.coupon)
    out.formerSale = {
      ...view.formerSale,
      redemption: redemptionViewOf(stored[view.coupon ? 1 : 0] ?? null, userId),
    };
  return out;
}
