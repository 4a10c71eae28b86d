import { describe, expect, it } from '@jest/globals';
import { couponLifecycleEventSchema } from '@rediclaim/core';
import { storedEventOf } from '@rediclaim/issuer';

const redeemed = {
  type: 'CouponRedeemed',
  version: 1,
  id: 'rdm_4.redeemed',
  occurredAt: '2026-11-27T10:00:00.000Z',
  tenant: 'shop',
  eventId: 'bf',
  uid: 'a1b2',
  coupon: { id: 'cpn_7_3', code: 'T-00000003', serial: 3, userId: 'u3' },
  redemption: { id: 'rdm_4', orderId: 'o-1', orderAmount: 10_000, discountAmount: 1_000 },
};

describe('the event of an Event row', () => {
  it("is the stored event with the row's id as its sequence", () => {
    const stored = storedEventOf(17, redeemed);
    expect(stored).toEqual({ event: { ...redeemed, sequence: 17 } });
    expect(couponLifecycleEventSchema.parse((stored as { event: unknown }).event)).toBeTruthy();
  });

  it('takes its sequence from the row whatever the payload says', () => {
    expect(storedEventOf(17, { ...redeemed, sequence: 3 })).toEqual({
      event: { ...redeemed, sequence: 17 },
    });
  });

  it('is refused, with the reason, when the payload is not an event', () => {
    expect(storedEventOf(1, 'text')).toEqual({ invalid: 'its payload is not a JSON object' });
    expect(storedEventOf(1, [redeemed])).toEqual({ invalid: 'its payload is not a JSON object' });
    const { redemption: _r, ...withoutRedemption } = redeemed;
    expect(storedEventOf(1, withoutRedemption)).toEqual({
      invalid: expect.stringMatching(/^its event is invalid: redemption: /),
    });
    expect(storedEventOf(1, { ...redeemed, version: 2 })).toEqual({
      invalid: expect.stringMatching(/^its event is invalid: version: /),
    });
    expect(storedEventOf(1, { ...redeemed, type: 'CouponExploded' })).toEqual({
      invalid: expect.stringMatching(/^its event is invalid: type: /),
    });
  });
});
