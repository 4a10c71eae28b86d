import { describe, expect, it } from '@jest/globals';
import { couponIssuedSchema } from '@rediclaim/core';
import {
  couponIssuedOf,
  issuedCouponsQuery,
  issuedEventsOf,
  missingCoupons,
  serialCount,
  type IssuedCouponRecord,
} from '@rediclaim/issuer';

const issuedAt = new Date('2026-11-27T09:00:00.123Z');
const coupon = (
  serial: number,
  overrides: Partial<IssuedCouponRecord> = {},
): IssuedCouponRecord => ({
  saleId: 7,
  serial,
  userId: `u${serial}`,
  code: `T-${String(serial).padStart(8, '0')}`,
  requestId: `shop/bf/u${serial}/${serial}`,
  ticket: serial,
  discount: { type: 'percent', percent: 10 },
  validFrom: issuedAt,
  validUntil: new Date('2026-11-28T09:00:00.123Z'),
  issuedAt,
  tenant: 'shop',
  eventId: 'bf',
  uid: '',
  ...overrides,
});

describe('the CouponIssued events of a CouponsIssued row', () => {
  it("says what the coupon's row and its sale's row hold, with the row's id as sequence", () => {
    const event = couponIssuedOf(42, coupon(3));
    expect(event).toEqual({
      type: 'CouponIssued',
      version: 1,
      id: 'cpn_7_3.issued',
      sequence: 42,
      occurredAt: '2026-11-27T09:00:00.123Z',
      tenant: 'shop',
      eventId: 'bf',
      coupon: { id: 'cpn_7_3', code: 'T-00000003', serial: 3, userId: 'u3' },
      requestId: 'shop/bf/u3/3',
      ticket: 3,
      discount: { type: 'percent', percent: 10 },
      validFrom: '2026-11-27T09:00:00.123Z',
      validUntil: '2026-11-28T09:00:00.123Z',
    });
    expect(couponIssuedSchema.parse(event)).toEqual(event);
  });

  it("names the sale's uid only when the sale has one", () => {
    expect(couponIssuedOf(1, coupon(1))).not.toHaveProperty('uid');
    expect(couponIssuedOf(1, coupon(1, { uid: 'a1b2' })).uid).toBe('a1b2');
  });

  it('builds the same events, ids included, every time (a republished row is the same row)', () => {
    const coupons = [coupon(1), coupon(2), coupon(3)];
    expect(issuedEventsOf(5, coupons)).toEqual(issuedEventsOf(5, coupons));
    expect(issuedEventsOf(5, coupons)).toEqual({
      events: coupons.map((c) => couponIssuedOf(5, c)),
    });
  });

  it('refuses a row with an event the schema rejects, naming the event and the field', () => {
    const built = issuedEventsOf(5, [coupon(1), coupon(2, { userId: '' })]);
    expect(built).toEqual({
      invalid: expect.stringMatching(/^cpn_7_2\.issued is invalid: coupon\.userId: /),
    });
  });

  it('counts the serials of the ranges, and says when the coupons read are not all of them', () => {
    const ranges = {
      saleId: 7,
      ranges: [
        [1, 3],
        [10, 10],
      ] as [number, number][],
    };
    expect(serialCount(ranges)).toBe(4);
    expect(missingCoupons(ranges, [coupon(1), coupon(2), coupon(3), coupon(10)])).toBeUndefined();
    expect(missingCoupons(ranges, [coupon(1), coupon(2)])).toBe(
      'its ranges name 4 coupons of sale 7, and issued_coupons holds 2 of them',
    );
  });

  it('reads the ranges of one sale by primary key, with nothing but integers in the SQL', () => {
    const sql = issuedCouponsQuery({
      saleId: 7,
      ranges: [
        [1, 3],
        [10, 12],
      ],
    });
    expect(sql).toContain(
      'WHERE c.event_id = 7 AND (c.serial BETWEEN 1 AND 3 OR c.serial BETWEEN 10 AND 12)',
    );
    expect(sql).toContain('ORDER BY c.serial');
    expect(() => issuedCouponsQuery({ saleId: 7, ranges: [[1, 1.5]] })).toThrow('not an integer');
  });
});
