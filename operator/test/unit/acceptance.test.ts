import { describe, expect, it } from '@jest/globals';
import type { CouponEvent, CouponEventSpecInput } from '@rediclaim/core';
import { judge } from '../../src/reconcilers/couponevent/acceptance.js';
import { couponEventOf } from '../support/couponevents.js';

const spec = (over: Partial<CouponEventSpecInput> = {}): CouponEventSpecInput => ({
  schedule: { opensAt: '2026-11-27T00:00:00Z', closesAt: '2026-11-27T02:00:00Z' },
  admission: { dispatchPerSecond: 100 },
  coupon: { stock: 100, validity: { validForHours: 1 }, discount: { type: 'percent', percent: 5 } },
  ...over,
});

const event = couponEventOf;

const nobodyServes = () => false;

describe('what only the operator can judge', () => {
  it('accepts a valid spec, with every default applied', () => {
    const e = event('shop', 'sale', spec(), '2026-01-01T00:00:00Z');
    const verdict = judge(e, { all: [e], isServing: nobodyServes });
    expect(verdict).toMatchObject({
      accepted: true,
      config: {
        id: 'sale',
        tenant: 'shop',
        coupon: { perUserLimit: 1 },
        admission: { mode: 'fifo' },
      },
    });
  });

  it('refuses a spec that does not parse, naming the field', () => {
    const e = event(
      'shop',
      'sale',
      { ...spec(), schedule: { opensAt: '2026-11-27t00:00:00z' } },
      '2026-01-01T00:00:00Z',
    );
    const verdict = judge(e, { all: [e], isServing: nobodyServes });
    expect(verdict).toMatchObject({ accepted: false, reason: 'InvalidSpec' });
    expect(!verdict.accepted && verdict.message).toMatch(
      /spec\.schedule\.opensAt: must be an RFC 3339/,
    );
  });

  it('gives a shared event id to the oldest CouponEvent', () => {
    const older = event('a', 'x', spec({ eventId: 'same' }), '2026-01-01T00:00:00Z');
    const younger = event('b', 'y', spec({ eventId: 'same' }), '2026-01-02T00:00:00Z');
    const all = [younger, older];
    expect(judge(older, { all, isServing: nobodyServes }).accepted).toBe(true);
    expect(judge(younger, { all, isServing: nobodyServes })).toMatchObject({
      accepted: false,
      reason: 'EventIdConflict',
      message: expect.stringContaining('a/x'),
    });
  });

  it('lets the event already serving an id keep it, even against an older claim', () => {
    const older = event('a', 'x', spec({ eventId: 'same' }), '2026-01-01T00:00:00Z');
    const serving = event('b', 'y', spec({ eventId: 'same' }), '2026-01-02T00:00:00Z');
    const all = [older, serving];
    const isServing = (e: CouponEvent) => e === serving;
    expect(judge(serving, { all, isServing }).accepted).toBe(true);
    expect(judge(older, { all, isServing })).toMatchObject({ reason: 'EventIdConflict' });
  });

  it('ignores claims of specs that do not parse and of events already cleaned up', () => {
    const broken = event(
      'a',
      'x',
      { ...spec({ eventId: 'same' }), coupon: {} },
      '2025-01-01T00:00:00Z',
    );
    const gone = event('c', 'z', spec({ eventId: 'same' }), '2025-01-01T00:00:00Z', {
      deletionTimestamp: '2026-01-03T00:00:00Z',
      finalizers: [],
    });
    const mine = event('b', 'y', spec({ eventId: 'same' }), '2026-01-02T00:00:00Z');
    expect(judge(mine, { all: [broken, gone, mine], isServing: nobodyServes }).accepted).toBe(true);
  });

  it('refuses stock below what the gate says was issued', () => {
    const e = event('shop', 'sale', spec(), '2026-01-01T00:00:00Z');
    expect(judge(e, { all: [e], isServing: nobodyServes, issued: 100 }).accepted).toBe(true);
    expect(judge(e, { all: [e], isServing: nobodyServes, issued: 101 })).toMatchObject({
      accepted: false,
      reason: 'StockBelowIssued',
      message: expect.stringMatching(/stock is 100 but 101 coupons were already issued/),
    });
  });

  describe('a schedule moved after the sale opened', () => {
    const now = Date.parse('2026-11-27T00:30:00Z');
    const opened = event('shop', 'sale', spec(), '2026-01-01T00:00:00Z');
    const served = judge(opened, { all: [opened], isServing: nobodyServes });
    if (!served.accepted) throw new Error('the served spec must be accepted');
    const moved = (schedule: CouponEventSpecInput['schedule']) =>
      event('shop', 'sale', spec({ schedule }), '2026-01-01T00:00:00Z');

    it('is refused when it opens again later with a pre-queue: its tickets would jump the queue', () => {
      const e = moved({
        preQueueOpensAt: '2026-11-27T00:45:00Z',
        opensAt: '2026-11-27T01:00:00Z',
        closesAt: '2026-11-27T02:00:00Z',
      });
      expect(
        judge(e, { all: [e], isServing: nobodyServes, served: served.config, now }),
      ).toMatchObject({
        accepted: false,
        reason: 'PreQueueAfterOpening',
        message: expect.stringMatching(/Remove preQueueOpensAt to postpone/),
      });
    });

    it('is accepted when postponed without a pre-queue: everyone keeps their place', () => {
      const e = moved({ opensAt: '2026-11-27T01:00:00Z', closesAt: '2026-11-27T02:00:00Z' });
      expect(
        judge(e, { all: [e], isServing: nobodyServes, served: served.config, now }).accepted,
      ).toBe(true);
    });

    it('is accepted with a pre-queue before the sale first opened', () => {
      const e = moved({
        preQueueOpensAt: '2026-11-27T00:45:00Z',
        opensAt: '2026-11-27T01:00:00Z',
        closesAt: '2026-11-27T02:00:00Z',
      });
      const early = Date.parse('2026-11-26T23:00:00Z');
      expect(
        judge(e, { all: [e], isServing: nobodyServes, served: served.config, now: early }).accepted,
      ).toBe(true);
    });
  });
});
