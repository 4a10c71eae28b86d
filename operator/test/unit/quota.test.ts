import { describe, expect, it } from '@jest/globals';
import type { CouponEvent, CouponEventSpecInput } from '@rediclaim/core';
import { judge } from '../../src/reconcilers/couponevent/acceptance.js';
import { couponEventOf } from '../support/couponevents.js';

const spec = (eventId?: string): CouponEventSpecInput => ({
  ...(eventId ? { eventId } : {}),
  schedule: { opensAt: '2026-11-27T00:00:00Z', closesAt: '2026-11-27T02:00:00Z' },
  admission: { dispatchPerSecond: 100 },
  coupon: { stock: 100, validity: { validForHours: 1 }, discount: { type: 'percent', percent: 5 } },
});

const event = (
  namespace: string,
  name: string,
  createdAt: string,
  s: CouponEventSpecInput | Record<string, unknown> = spec(),
  extra: Partial<CouponEvent['metadata']> = {},
): CouponEvent => couponEventOf(namespace, name, s, createdAt, extra);

const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00Z`;
const nobodyServes = () => false;

describe("a namespace's quota of CouponEvents", () => {
  const a = event('shop', 'a', at(1));
  const b = event('shop', 'b', at(2));
  const c = event('shop', 'c', at(3));
  const all = [c, a, b];

  it('serves the oldest up to the limit and refuses the rest, saying the limit and how to raise it', () => {
    const context = { all, isServing: nobodyServes, maxEventsPerNamespace: 2 };
    expect(judge(a, context).accepted).toBe(true);
    expect(judge(b, context).accepted).toBe(true);
    const refused = judge(c, context);
    expect(refused).toMatchObject({ accepted: false, reason: 'NamespaceQuotaExceeded' });
    if (refused.accepted) throw new Error('expected a refusal');
    expect(refused.message).toMatch(/namespace shop has 3 CouponEvents and may have 2 served/);
    expect(refused.message).toMatch(/operator\.maxEventsPerNamespace.*MAX_EVENTS_PER_NAMESPACE/);
  });

  it('breaks a tie of creation times by name', () => {
    const x = event('shop', 'x', at(5));
    const y = event('shop', 'y', at(5));
    const context = { all: [y, x], isServing: nobodyServes, maxEventsPerNamespace: 1 };
    expect(judge(x, context).accepted).toBe(true);
    expect(judge(y, context).accepted).toBe(false);
  });

  it('never takes the place of an event already served, even when the limit is lowered', () => {
    // b and c are served (the limit was higher); a, older, is not.
    const isServing = (e: CouponEvent) => e === b || e === c;
    const context = { all, isServing, maxEventsPerNamespace: 1 };
    expect(judge(b, context).accepted).toBe(true);
    expect(judge(c, context).accepted).toBe(true);
    expect(judge(a, context)).toMatchObject({ reason: 'NamespaceQuotaExceeded' });
  });

  it('counts neither other namespaces, nor invalid specs, nor events already cleaned up', () => {
    const invalid = event('shop', 'broken', at(0), { ...spec(), coupon: { stock: 0 } });
    const gone = event('shop', 'gone', at(0), spec(), { deletionTimestamp: at(9) });
    const elsewhere = event('mall', 'm', at(0));
    const context = {
      all: [invalid, gone, elsewhere, a, b],
      isServing: nobodyServes,
      maxEventsPerNamespace: 2,
    };
    expect(judge(a, context).accepted).toBe(true);
    expect(judge(b, context).accepted).toBe(true);
  });

  it('has no limit at 0', () => {
    const many = Array.from({ length: 50 }, (_, i) => event('shop', `e${i}`, at(i)));
    const context = { all: many, isServing: nobodyServes, maxEventsPerNamespace: 0 };
    expect(many.every((e) => judge(e, context).accepted)).toBe(true);
  });

  it('lets an event its quota refuses claim no event id: the next tenant in line gets it', () => {
    const first = event('shop', 'first', at(1));
    const late = event('shop', 'late', at(2), spec('shared'));
    const other = event('mall', 'other', at(3), spec('shared'));
    const context = {
      all: [first, late, other],
      isServing: nobodyServes,
      maxEventsPerNamespace: 1,
    };
    expect(judge(late, context)).toMatchObject({ reason: 'NamespaceQuotaExceeded' });
    expect(judge(other, context).accepted).toBe(true);
  });
});
