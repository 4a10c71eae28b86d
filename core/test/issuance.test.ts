import { describe, expect, it } from '@jest/globals';
import { decideIssuance, type IssuanceLedger, type PendingRequest } from '@rediclaim/core';

const req = (userId: string, ticket: number): PendingRequest => ({
  requestId: `t/e/${userId}/${ticket}`,
  userId,
  ticket,
});
const ledger = (over: Partial<IssuanceLedger> = {}): IssuanceLedger => ({
  stock: 3,
  issued: 0,
  perUserLimit: 1,
  issuedByUser: new Map(),
  priorDecisions: new Map(),
  windowOpen: true,
  ...over,
});

describe('issuance decision for one batch', () => {
  it('grants in ticket order while stock lasts, then says SOLD_OUT', () => {
    const { decisions, newlyIssued, remaining } = decideIssuance(ledger(), [
      req('d', 4),
      req('b', 2),
      req('a', 1),
      req('c', 3),
    ]);
    expect(decisions.map((d) => [d.request.userId, d.outcome, d.serial])).toEqual([
      ['a', 'ISSUED', 1],
      ['b', 'ISSUED', 2],
      ['c', 'ISSUED', 3],
      ['d', 'SOLD_OUT', undefined],
    ]);
    expect(newlyIssued).toBe(3);
    expect(remaining).toBe(0);
  });

  it('continues serials after what was issued before', () => {
    const { decisions } = decideIssuance(ledger({ stock: 10, issued: 7 }), [req('a', 1)]);
    expect(decisions[0]).toMatchObject({ outcome: 'ISSUED', serial: 8 });
  });

  it('says ALREADY_ISSUED to a user at the per-user limit and does not spend stock on them', () => {
    const { decisions, newlyIssued } = decideIssuance(
      ledger({ issuedByUser: new Map([['a', 1]]) }),
      [req('a', 5), req('b', 6)],
    );
    expect(decisions.map((d) => d.outcome)).toEqual(['ALREADY_ISSUED', 'ISSUED']);
    expect(newlyIssued).toBe(1);
  });

  it('lets a user take up to perUserLimit coupons, one per admission', () => {
    const { decisions } = decideIssuance(ledger({ perUserLimit: 2, stock: 10 }), [
      req('a', 1),
      req('a', 2),
      req('a', 3),
    ]);
    expect(decisions.map((d) => d.outcome)).toEqual(['ISSUED', 'ISSUED', 'ALREADY_ISSUED']);
  });

  it('repeats an earlier decision for a redelivered request instead of deciding again', () => {
    const prior = new Map([['t/e/a/1', { outcome: 'ISSUED' as const, serial: 1 }]]);
    const { decisions, newlyIssued } = decideIssuance(
      ledger({ issued: 1, issuedByUser: new Map([['a', 1]]), priorDecisions: prior }),
      [req('a', 1)],
    );
    expect(decisions).toEqual([
      { outcome: 'ISSUED', serial: 1, request: req('a', 1), fresh: false },
    ]);
    expect(newlyIssued).toBe(0);
  });

  it('decides a request delivered twice in one batch once', () => {
    const { decisions, newlyIssued } = decideIssuance(ledger(), [req('a', 1), req('a', 1)]);
    expect(decisions.map((d) => [d.outcome, d.serial, d.fresh])).toEqual([
      ['ISSUED', 1, true],
      ['ISSUED', 1, false],
    ]);
    expect(newlyIssued).toBe(1);
  });

  it('rejects with a reason once the coupons would be born expired', () => {
    const { decisions } = decideIssuance(ledger({ windowOpen: false }), [req('a', 1)]);
    expect(decisions[0]).toMatchObject({ outcome: 'REJECTED', reason: 'COUPON_WINDOW_ENDED' });
  });

  it('never issues more than stock, whatever the batch holds', () => {
    const requests = Array.from({ length: 500 }, (_, i) => req(`u${i % 400}`, i));
    const { decisions, newlyIssued } = decideIssuance(
      ledger({ stock: 123, perUserLimit: 2 }),
      requests,
    );
    expect(newlyIssued).toBe(123);
    expect(decisions.filter((d) => d.outcome === 'ISSUED')).toHaveLength(123);
    expect(new Set(decisions.map((d) => d.serial).filter(Boolean)).size).toBe(123);
  });
});
