import { describe, expect, it } from '@jest/globals';
import { ApiKeys, apiKeysSchema, judgeRedemption, requestHashOf } from '@rediclaim/issuer';

const coupon = {
  userId: 'ann',
  discount: { type: 'fixed' as const, amount: 3_000, currency: 'KRW', minOrderAmount: 10_000 },
  validFrom: new Date('2027-01-01T00:00:00Z'),
  validUntil: new Date('2027-01-02T00:00:00Z'),
};
const during = new Date('2027-01-01T12:00:00Z');

describe('the redemption rules', () => {
  it('takes the discount off an order that qualifies, never more than the order', () => {
    expect(judgeRedemption(coupon, { userId: 'ann', orderAmount: 50_000 }, during)).toEqual({
      ok: true,
      discountAmount: 3_000,
    });
    const free = { ...coupon, discount: { ...coupon.discount, minOrderAmount: undefined } };
    expect(judgeRedemption(free, { userId: 'ann', orderAmount: 1_000 }, during)).toEqual({
      ok: true,
      discountAmount: 1_000,
    });
  });

  it.each([
    [{ userId: 'bob', orderAmount: 50_000 }, during, 'COUPON_NOT_OWNED'],
    [
      { userId: 'ann', orderAmount: 50_000 },
      new Date('2026-12-31T23:59:59Z'),
      'COUPON_NOT_YET_VALID',
    ],
    [{ userId: 'ann', orderAmount: 50_000 }, new Date('2027-01-02T00:00:00Z'), 'COUPON_EXPIRED'],
    [{ userId: 'ann', orderAmount: 9_999 }, during, 'ORDER_BELOW_MINIMUM'],
    [{ userId: 'ann', orderAmount: 50_000, currency: 'USD' }, during, 'CURRENCY_MISMATCH'],
  ])('refuses %j at %s with %s', (order, at, code) => {
    expect(judgeRedemption(coupon, order, at)).toMatchObject({ ok: false, code });
  });

  it('tells a retry from another request under the same key', () => {
    const request = { code: 'T-1', userId: 'ann', orderId: 'o1', orderAmount: 100 };
    expect(requestHashOf(request)).toBe(requestHashOf({ ...request }));
    expect(requestHashOf(request)).not.toBe(requestHashOf({ ...request, orderAmount: 101 }));
    expect(requestHashOf(request)).not.toBe(requestHashOf({ ...request, orderId: 'o2' }));
    expect(requestHashOf(request)).not.toBe(requestHashOf({ ...request, eventId: 'e' }));
  });
});

describe('the redemption API keys', () => {
  const token = (c: string) => c.repeat(32);

  it('lets a token act for its tenants only, several tokens per tenant and * for all', () => {
    const keys = new ApiKeys(
      apiKeysSchema.parse(`shop=${token('a')}, shop=${token('b')},*=${token('c')}`),
    );
    expect(keys.allows(token('a'), 'shop')).toBe(true);
    expect(keys.allows(token('b'), 'shop')).toBe(true);
    expect(keys.allows(token('a'), 'other')).toBe(false);
    expect(keys.allows(token('c'), 'other')).toBe(true);
    expect(keys.known(token('d'))).toBe(false);
  });

  it.each([
    ['', /at least one/],
    [`shop:${token('a')}`, /tenant=token/],
    ['shop=short', /at least 32 characters/],
    [`Shop=${token('a')}`, /Kubernetes namespace name/],
  ])('refuses %j in words', (text, message) => {
    const parsed = apiKeysSchema.safeParse(text);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(message);
  });
});
