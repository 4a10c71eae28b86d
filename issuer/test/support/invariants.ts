import { expect } from '@jest/globals';
import type { IssueRequest, IssueResult } from '@rediclaim/core';
import { ledgerOf } from './ledger.js';
import { byRequest } from './results.js';
import type { Scenario } from './scenario.js';

/**
 * The invariants every issuance test ends with: issued = min(stock, distinct users)
 * (per-user limit 1), no user or code twice, every request answered, and every answer
 * to one request the same (republished results may repeat, never differ).
 */
export async function expectInvariants(
  s: Scenario,
  requests: readonly IssueRequest[],
  results: readonly IssueResult[],
  stock: number,
  eventId = s.eventId,
): Promise<void> {
  const ledger = await ledgerOf(s, eventId);
  const users = new Set(requests.map((r) => r.userId));
  const expectedIssued = Math.min(stock, users.size);
  expect(ledger.issued).toBe(expectedIssued);
  expect(ledger.coupons).toHaveLength(expectedIssued);
  expect(new Set(ledger.coupons.map((c) => c.user_id)).size).toBe(expectedIssued);
  expect(new Set(ledger.coupons.map((c) => c.code)).size).toBe(expectedIssued);
  expect(ledger.coupons.map((c) => c.serial)).toEqual(
    Array.from({ length: expectedIssued }, (_, i) => i + 1),
  );

  const answers = byRequest(results.filter((r) => r.eventId === eventId));
  const asked = new Set(requests.map((r) => r.requestId));
  expect(answers.size).toBe(asked.size);
  for (const id of asked) expect(answers.has(id)).toBe(true);
  for (const [, copies] of answers) {
    // remaining/stock describe the event when answered; the decision itself never changes.
    const decision = ({ remaining: _r, stock: _s, ...rest }: IssueResult) => rest;
    for (const copy of copies) expect(decision(copy)).toEqual(decision(copies[0]!));
  }
  const issuedAnswers = [...answers.values()].filter((c) => c[0]!.outcome === 'ISSUED');
  expect(issuedAnswers).toHaveLength(expectedIssued);
  expect(new Set(issuedAnswers.map((c) => c[0]!.coupon!.code))).toEqual(
    new Set(ledger.coupons.map((c) => c.code)),
  );
  const decidedOtherwise = ledger.decisions.length + ledger.coupons.length;
  expect(decidedOtherwise).toBe(asked.size);
}
