import { describe, expect, it } from '@jest/globals';
import {
  couponIdOf,
  couponLifecycleEventSchema,
  lifecycleEventIdOf,
  redemptionIdOf,
  type CouponLifecycleEvent,
  type IssuedCoupon,
} from '@rediclaim/core';
import {
  redemptionField,
  redemptionFieldsOf,
  redemptionStateOf,
  redemptionViewOf,
  withRedemptions,
  type StatusView,
} from '@rediclaim/gate';

const AT = '2026-11-27T02:00:00.000Z';

const coupon = (code: string, serial: number): IssuedCoupon => ({
  code,
  serial,
  discount: { type: 'percent', percent: 10 },
  validFrom: AT,
  validUntil: AT,
  issuedAt: AT,
});

const issuedView = (over: Partial<StatusView> = {}): StatusView => ({
  eventId: 'sale',
  status: 'ISSUED',
  rank: null,
  ahead: null,
  etaSeconds: null,
  preQueue: false,
  pollAfterMs: null,
  coupon: coupon('ANN-1', 7),
  decidedAt: AT,
  ...over,
});

function lifecycle(type: CouponLifecycleEvent['type']): CouponLifecycleEvent {
  const redemption = {
    id: redemptionIdOf(1),
    orderId: 'order-1',
    orderAmount: 10_000,
    discountAmount: 1_000,
  };
  return couponLifecycleEventSchema.parse({
    type,
    version: 1,
    id: lifecycleEventIdOf(type, type === 'CouponIssued' ? couponIdOf(3, 7) : redemption.id),
    sequence: 2,
    occurredAt: AT,
    tenant: 'shop',
    eventId: 'sale',
    coupon: { id: couponIdOf(3, 7), code: 'ANN-1', serial: 7, userId: 'ann' },
    ...(type === 'CouponIssued'
      ? {
          requestId: 'r',
          ticket: 1,
          discount: { type: 'percent', percent: 10 },
          validFrom: AT,
          validUntil: AT,
        }
      : { redemption }),
    ...(type === 'CouponReleased' ? { reason: 'order cancelled' } : {}),
  });
}

describe("a coupon's redemption state", () => {
  it('is REDEEMED after CouponRedeemed, AVAILABLE after CouponReleased, untouched by CouponIssued', () => {
    expect(redemptionStateOf(lifecycle('CouponRedeemed'))).toBe('REDEEMED');
    expect(redemptionStateOf(lifecycle('CouponReleased'))).toBe('AVAILABLE');
    expect(redemptionStateOf(lifecycle('CouponIssued'))).toBeUndefined();
  });

  it('reads a stored state with its time, and none as AVAILABLE', () => {
    expect(redemptionViewOf(`4|REDEEMED|${AT}|ann`, 'ann')).toEqual({
      state: 'REDEEMED',
      since: AT,
    });
    expect(redemptionViewOf(`5|AVAILABLE|${AT}|ann`, 'ann')).toEqual({
      state: 'AVAILABLE',
      since: AT,
    });
    expect(redemptionViewOf(null, 'ann')).toEqual({ state: 'AVAILABLE' });
  });

  it("never shows a shopper another shopper's state, nor one it cannot read", () => {
    expect(redemptionViewOf(`4|REDEEMED|${AT}|bob`, 'ann')).toEqual({ state: 'AVAILABLE' });
    expect(redemptionViewOf('garbage', 'ann')).toEqual({ state: 'AVAILABLE' });
  });

  it('keeps a user id with the characters ids may have', () => {
    expect(redemptionViewOf(`4|REDEEMED|${AT}|a.b_c@d:e+f=g-h`, 'a.b_c@d:e+f=g-h').state).toBe(
      'REDEEMED',
    );
  });
});

describe("the states a shopper's view shows", () => {
  it("names the coupon by serial and code, its own first, then its former sale's", () => {
    expect(redemptionField('ANN-1', 7)).toBe('7:ANN-1');
    const view = issuedView({
      formerSale: { status: 'ISSUED', coupon: coupon('OLD-9', 9), decidedAt: AT },
    });
    expect(redemptionFieldsOf(view)).toEqual(['7:ANN-1', '9:OLD-9']);
    expect(redemptionFieldsOf(issuedView({ coupon: undefined }))).toEqual([]);
  });

  it('puts each state beside its coupon', () => {
    const view = issuedView({
      formerSale: { status: 'ISSUED', coupon: coupon('OLD-9', 9), decidedAt: AT },
    });
    const out = withRedemptions(view, 'ann', [null, `3|REDEEMED|${AT}|ann`]);
    expect(out.redemption).toEqual({ state: 'AVAILABLE' });
    expect(out.formerSale?.redemption).toEqual({ state: 'REDEEMED', since: AT });
    // A former sale's coupon alone.
    const former = withRedemptions(
      issuedView({
        status: 'NOT_IN_QUEUE',
        coupon: undefined,
        formerSale: { status: 'ISSUED', coupon: coupon('OLD-9', 9), decidedAt: AT },
      }),
      'ann',
      [`3|REDEEMED|${AT}|ann`],
    );
    expect(former.redemption).toBeUndefined();
    expect(former.formerSale?.redemption?.state).toBe('REDEEMED');
  });
});
