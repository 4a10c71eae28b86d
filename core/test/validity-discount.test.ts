import { describe, expect, it } from '@jest/globals';
import { couponValidity, describeDiscount, discountFor, isUsableAt } from '@rediclaim/core';

const issuedAt = new Date('2026-11-27T10:00:00Z');

describe('coupon validity window', () => {
  it('runs validForHours from the moment of issue', () => {
    expect(couponValidity({ validForHours: 24 }, issuedAt)).toEqual({
      validFrom: issuedAt,
      validUntil: new Date('2026-11-28T10:00:00Z'),
    });
  });

  it('ends at endsAt when that comes sooner than validForHours', () => {
    const w = couponValidity({ validForHours: 240, endsAt: '2026-11-30T00:00:00Z' }, issuedAt);
    expect(w?.validUntil).toEqual(new Date('2026-11-30T00:00:00Z'));
  });

  it('starts at startsAt when the coupon is issued before it', () => {
    const w = couponValidity(
      { startsAt: '2026-12-01T00:00:00Z', endsAt: '2026-12-31T00:00:00Z' },
      issuedAt,
    )!;
    expect(w.validFrom).toEqual(new Date('2026-12-01T00:00:00Z'));
    expect(isUsableAt(w, new Date('2026-11-30T00:00:00Z'))).toBe(false);
    expect(isUsableAt(w, new Date('2026-12-15T00:00:00Z'))).toBe(true);
    expect(isUsableAt(w, new Date('2026-12-31T00:00:00Z'))).toBe(false);
  });

  it('has no window when the coupons would already be expired at issue', () => {
    expect(couponValidity({ endsAt: '2026-11-27T09:00:00Z' }, issuedAt)).toBeUndefined();
  });
});

describe('discount policy', () => {
  it('takes a percent of the order, rounded down to a minor unit', () => {
    expect(discountFor({ type: 'percent', percent: 10 }, 12_345)).toBe(1_234);
    expect(discountFor({ type: 'percent', percent: 12.5 }, 1_000)).toBe(125);
  });

  it('caps a percent discount at maxAmount', () => {
    expect(
      discountFor({ type: 'percent', percent: 10, maxAmount: 5_000, currency: 'KRW' }, 100_000),
    ).toBe(5_000);
  });

  it('takes a fixed amount, never more than the order', () => {
    expect(discountFor({ type: 'fixed', amount: 5_000, currency: 'KRW' }, 30_000)).toBe(5_000);
    expect(discountFor({ type: 'fixed', amount: 5_000, currency: 'KRW' }, 3_000)).toBe(3_000);
  });

  it('gives nothing below the minimum order', () => {
    const d = { type: 'fixed' as const, amount: 5_000, currency: 'KRW', minOrderAmount: 30_000 };
    expect(discountFor(d, 29_999)).toBe(0);
    expect(discountFor(d, 30_000)).toBe(5_000);
  });

  it('refuses an order amount that is not whole minor units', () => {
    expect(() => discountFor({ type: 'percent', percent: 10 }, 10.5)).toThrow(RangeError);
  });

  it('describes itself the way shoppers read it, in the currency’s own minor units', () => {
    expect(
      describeDiscount({ type: 'percent', percent: 10, maxAmount: 5_000, currency: 'KRW' }),
    ).toBe('10% off (up to ₩5,000)');
    expect(
      describeDiscount({ type: 'fixed', amount: 500, currency: 'USD', minOrderAmount: 3_000 }),
    ).toBe('$5.00 off, on orders of $30.00 or more');
  });
});
