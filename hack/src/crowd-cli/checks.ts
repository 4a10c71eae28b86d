import type { CrowdReport } from '../crowd/crowd.js';
import type { Check } from '../crowd/summary.js';

export interface OutsideFacts {
  /** --expect-stock: the stock of a fresh sale this crowd shops alone. */
  expectStock?: number;
  /** The coupons the gate said were left before the crowd came. */
  remainingBefore?: number;
  /** The crowd was meant to join before the opening. */
  preQueue: boolean;
}

/**
 * The platform's promises as far as a crowd can judge them from the outside, from what
 * its shoppers were told: nobody left without an outcome, never more coupons than stock,
 * no coupon code told twice, fair order by ticket. (MySQL is the stronger witness; the
 * demo and the cluster suite check against it.)
 */
export function outsideChecks(report: CrowdReport, facts: OutsideFacts): Check[] {
  const told = report.shoppers;
  const issued = told.filter((s) => s.status === 'ISSUED');
  const lost = told.filter((s) => s.status === 'LOST' || s.status === 'NOT_JOINED').length;
  const checks: Check[] = [
    {
      name: 'every shopper learned the outcome',
      ok: lost === 0,
      detail: `${lost} without an outcome`,
    },
    {
      name: 'every answer was a shopper state, not a refusal of the request',
      ok: report.errors.http4xx === 0,
      detail: `${report.errors.http4xx} requests refused with a 4xx error`,
    },
  ];

  const stock = facts.expectStock ?? facts.remainingBefore;
  if (stock !== undefined)
    checks.push({
      name: 'never more ISSUED than stock',
      ok: issued.length <= stock,
      detail: `${issued.length} told ISSUED, ${facts.expectStock !== undefined ? `--expect-stock ${stock}` : `${stock} left before the crowd (the gate said)`}`,
    });
  if (facts.expectStock !== undefined) {
    const expected = Math.min(facts.expectStock, report.users);
    checks.push({
      name: 'all the stock issued when the crowd wants it',
      ok: issued.length === expected,
      detail: `${issued.length} told ISSUED, expected ${expected}`,
    });
  }

  const codes = new Map<string, number>();
  for (const s of issued)
    if (s.couponCode) codes.set(s.couponCode, (codes.get(s.couponCode) ?? 0) + 1);
  const withoutCode = issued.filter((s) => !s.couponCode).length;
  const twice = [...codes.values()].filter((n) => n > 1).length;
  checks.push({
    name: 'one coupon code per ISSUED shopper, none told twice',
    ok: withoutCode === 0 && twice === 0,
    detail: `${codes.size} distinct codes for ${issued.length} ISSUED, ${twice} codes told to more than one shopper, ${withoutCode} ISSUED without a code`,
  });

  // Fair order (v1: the signed ticket carries the number): every coupon went to an
  // earlier ticket than any shopper of this crowd told SOLD_OUT.
  const ticketsOf = (status: string) =>
    told.filter((s) => s.status === status && s.ticket !== undefined).map((s) => s.ticket!);
  const issuedTickets = ticketsOf('ISSUED');
  const soldOutTickets = ticketsOf('SOLD_OUT');
  if (issuedTickets.length > 0 && soldOutTickets.length > 0) {
    const worstIssued = issuedTickets.reduce((a, b) => Math.max(a, b));
    const bestSoldOut = soldOutTickets.reduce((a, b) => Math.min(a, b));
    const place = (ticket: number) =>
      told.filter((s) => s.ticket !== undefined && s.ticket <= ticket).length;
    checks.push({
      name: 'fair order: earlier tickets got the coupons',
      ok: worstIssued < bestSoldOut,
      detail: `last place served: ${place(worstIssued)}; first place sold out: ${place(bestSoldOut)}`,
    });
  }

  if (facts.preQueue) {
    const late = told.filter((s) => s.joinedAt !== undefined && !s.preQueue).length;
    checks.push({
      name: 'every shopper joined in the pre-queue, before the opening',
      ok: late === 0,
      detail: `${late} joined after the pre-queue`,
    });
  }
  return checks;
}
