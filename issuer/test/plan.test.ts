import { describe, expect, it } from '@jest/globals';
import { planBatch, type PlanInput } from '@rediclaim/issuer';
import type { IssuePolicy } from '@rediclaim/core';
import { policy, request } from './support/requests.js';

const now = new Date('2026-11-27T10:00:00.000Z');

function input(overrides: Partial<PlanInput> & { policy?: IssuePolicy } = {}): PlanInput {
  const p = overrides.policy ?? policy({ stock: 2 });
  return {
    tenant: 'shop',
    eventId: 'bf',
    uid: '',
    event: {
      generation: p.generation,
      stock: p.stock,
      issued: 0,
      policy: p,
      codePrefix: 'T-',
      codeLength: 10,
    },
    refused: new Map(),
    requests: [],
    coupons: [],
    decisions: [],
    now,
    secret: 'plan-test-secret-123',
    ...overrides,
  };
}

describe('planning a batch', () => {
  const p = policy({ stock: 2 });

  it('grants in ticket order while stock remains, then says SOLD_OUT', () => {
    const requests = [
      request('shop', 'bf', 'c', 30, p),
      request('shop', 'bf', 'a', 10, p),
      request('shop', 'bf', 'b', 20, p),
    ];
    const plan = planBatch(input({ requests }));
    expect(plan.coupons.map((c) => [c.userId, c.serial, c.seq])).toEqual([
      ['a', 1, 1],
      ['b', 2, 1],
    ]);
    expect(plan.decisions.map((d) => [d.userId, d.outcome])).toEqual([['c', 'SOLD_OUT']]);
    expect(plan.issued).toBe(2);
    const c = plan.results.get('shop/bf/c/30')!;
    expect(c).toMatchObject({ outcome: 'SOLD_OUT', stock: 2, remaining: 0 });
    expect(c.coupon).toBeUndefined();
    expect(plan.results.get('shop/bf/a/10')!.coupon).toEqual({
      code: plan.coupons[0]!.code,
      serial: 1,
      discount: { type: 'percent', percent: 10 },
      validFrom: '2026-11-27T10:00:00.000Z',
      validUntil: '2026-11-28T10:00:00.000Z',
      issuedAt: '2026-11-27T10:00:00.000Z',
    });
  });

  it('gives the same codes for the same serials, distinct within the batch', () => {
    const requests = Array.from({ length: 50 }, (_, i) =>
      request('shop', 'bf', `u${i}`, i, policy({ stock: 50 })),
    );
    const a = planBatch(input({ policy: policy({ stock: 50 }), requests }));
    const b = planBatch(
      input({ policy: policy({ stock: 50 }), requests: [...requests].reverse() }),
    );
    expect(a.coupons.map((c) => c.code)).toEqual(b.coupons.map((c) => c.code));
    expect(new Set(a.coupons.map((c) => c.code)).size).toBe(50);
    expect(a.coupons[0]!.code).toMatch(/^T-[0-9A-HJKMNP-TV-Z]{10}$/);
  });

  it('answers a redelivered request from its stored coupon, inserting nothing', () => {
    const issuedAt = new Date('2026-11-27T09:00:00.000Z');
    const stored = {
      userId: 'a',
      ticket: 10,
      serial: 1,
      code: 'T-STORED0001',
      discount: { type: 'fixed' as const, amount: 500, currency: 'KRW' },
      validFrom: issuedAt,
      validUntil: new Date('2026-11-28T09:00:00.000Z'),
      issuedAt,
    };
    const plan = planBatch(
      input({
        event: { generation: 1, stock: 2, issued: 1, policy: p, codePrefix: 'T-', codeLength: 10 },
        requests: [request('shop', 'bf', 'a', 10, p)],
        coupons: [stored],
      }),
    );
    expect(plan.coupons).toEqual([]);
    expect(plan.decisions).toEqual([]);
    expect(plan.redelivered).toBe(1);
    expect(plan.results.get('shop/bf/a/10')).toMatchObject({
      outcome: 'ISSUED',
      decidedAt: '2026-11-27T09:00:00.000Z',
      coupon: { code: 'T-STORED0001', serial: 1, discount: stored.discount },
    });
  });

  it('keeps a SOLD_OUT answer even after the stock was raised', () => {
    const plan = planBatch(
      input({
        policy: policy({ stock: 100 }),
        requests: [request('shop', 'bf', 'late', 5, policy({ stock: 100 }))],
        decisions: [
          { userId: 'late', ticket: 5, outcome: 'SOLD_OUT', reason: null, decidedAt: new Date(0) },
        ],
      }),
    );
    expect(plan.results.get('shop/bf/late/5')).toMatchObject({
      outcome: 'SOLD_OUT',
      decidedAt: '1970-01-01T00:00:00.000Z',
    });
    expect(plan.issued).toBe(0);
  });

  it('lets a user reach the per-user limit, numbering their coupons, and no further', () => {
    const p3 = policy({ stock: 10, perUserLimit: 3 });
    const held = {
      userId: 'a',
      ticket: 1,
      serial: 1,
      code: 'T-X',
      discount: p3.discount,
      validFrom: now,
      validUntil: now,
      issuedAt: now,
    };
    const plan = planBatch(
      input({
        policy: p3,
        event: {
          generation: 1,
          stock: 10,
          issued: 1,
          policy: p3,
          codePrefix: 'T-',
          codeLength: 10,
        },
        coupons: [held],
        requests: [2, 3, 4].map((t) => request('shop', 'bf', 'a', t, p3)),
      }),
    );
    expect(plan.coupons.map((c) => [c.ticket, c.seq, c.serial])).toEqual([
      [2, 2, 2],
      [3, 3, 3],
    ]);
    expect(plan.results.get('shop/bf/a/4')!.outcome).toBe('ALREADY_ISSUED');
  });

  it('rejects every request once the coupons could no longer be used', () => {
    const ended = policy({ stock: 5, validity: { endsAt: '2026-11-27T09:59:59Z' } });
    const plan = planBatch(
      input({ policy: ended, requests: [request('shop', 'bf', 'a', 1, ended)] }),
    );
    expect(plan.results.get('shop/bf/a/1')).toMatchObject({
      outcome: 'REJECTED',
      reason: 'COUPON_WINDOW_ENDED',
    });
    expect(plan.decisions[0]).toMatchObject({ outcome: 'REJECTED', reason: 'COUPON_WINDOW_ENDED' });
  });

  it('rejects requests carrying a refused generation while older ones are decided', () => {
    const g1 = policy({ stock: 5, generation: 1 });
    const g2 = policy({ stock: 1, generation: 2 });
    const plan = planBatch(
      input({
        policy: g1,
        event: { generation: 1, stock: 5, issued: 3, policy: g1, codePrefix: 'T-', codeLength: 10 },
        refused: new Map([[2, 1]]),
        requests: [request('shop', 'bf', 'old', 1, g1), request('shop', 'bf', 'new', 2, g2)],
      }),
    );
    expect(plan.results.get('shop/bf/old/1')).toMatchObject({
      outcome: 'ISSUED',
      stock: 5,
      remaining: 1,
    });
    expect(plan.results.get('shop/bf/new/2')).toMatchObject({
      outcome: 'REJECTED',
      reason: 'STOCK_BELOW_ISSUED',
      stock: 5,
    });
    expect(plan.decisions[0]).toMatchObject({ userId: 'new', generation: 2 });
  });
});
