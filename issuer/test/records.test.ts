import { describe, expect, it } from '@jest/globals';
import type { CouponLifecycleEvent } from '@rediclaim/core';
import {
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  EVENT_VERSION_HEADER,
  couponIssuedOf,
  recordOf,
  sendsOf,
} from '@rediclaim/issuer';

const event = (serial: number, requestId = `shop/bf/u${serial}/${serial}`): CouponLifecycleEvent =>
  couponIssuedOf(serial, {
    saleId: 7,
    serial,
    userId: `u${serial}`,
    code: `T-${serial}`,
    requestId,
    ticket: serial,
    discount: { type: 'percent', percent: 10 },
    validFrom: new Date('2026-11-27T09:00:00Z'),
    validUntil: new Date('2026-11-28T09:00:00Z'),
    issuedAt: new Date('2026-11-27T09:00:00Z'),
    tenant: 'shop',
    eventId: 'bf',
    uid: '',
  });

describe('the records of lifecycle events', () => {
  it('keys each by its coupon, with its id, type and version in headers and the whole event as JSON', () => {
    const e = event(3);
    const record = recordOf(e);
    expect(record.key).toBe('cpn_7_3');
    expect(record.headers).toEqual({
      [EVENT_ID_HEADER]: 'cpn_7_3.issued',
      [EVENT_TYPE_HEADER]: 'CouponIssued',
      [EVENT_VERSION_HEADER]: '1',
    });
    expect(JSON.parse((record.value as Buffer).toString('utf8'))).toEqual(e);
  });

  it('cuts them into sends of at most so many records, in order, none empty', () => {
    const events = Array.from({ length: 7 }, (_, i) => event(i + 1));
    const sends = [...sendsOf(events, { records: 3, bytes: 1 << 20 })];
    expect(sends.map((s) => s.messages.length)).toEqual([3, 3, 1]);
    expect(sends.flatMap((s) => s.messages.map((m) => m.key))).toEqual(
      events.map((e) => e.coupon.id),
    );
    for (const s of sends)
      expect(s.events.map((e) => e.coupon.id)).toEqual(s.messages.map((m) => m.key));
    expect([...sendsOf([])]).toEqual([]);
  });

  it('cuts them by bytes too, and sends a record larger than the limit alone', () => {
    const big = event(2, `shop/bf/${'x'.repeat(5_000)}/2`);
    const small = (recordOf(event(1)).value as Buffer).length + 256;
    // Room for two small records; the big one alone is over it.
    const sends = [
      ...sendsOf([event(1), big, event(3), event(4)], { records: 100, bytes: 2 * small + 10 }),
    ];
    expect(sends.map((s) => s.messages.map((m) => m.key))).toEqual([
      ['cpn_7_1'],
      ['cpn_7_2'],
      ['cpn_7_3', 'cpn_7_4'],
    ]);
  });
});
