import mysql from 'mysql2/promise';
import type { CrowdReport } from '../crowd/crowd.js';

export interface InvariantCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface InvariantInputs {
  /** Where MySQL is: a URL, or options (the cluster's MariaDB takes TLS only). */
  mysql: string | mysql.ConnectionOptions;
  tenant: string;
  eventId: string;
  stock: number;
  perUserLimit: number;
  report: CrowdReport;
}

/**
 * The platform's promises, checked against MySQL (the source of truth) and what the
 * shoppers were told: never over stock, never twice, everyone knows, fair order.
 */
export async function checkInvariants(inputs: InvariantInputs): Promise<InvariantCheck[]> {
  const { report, stock, perUserLimit } = inputs;
  const conn = await mysql.createConnection(
    typeof inputs.mysql === 'string' ? { uri: inputs.mysql } : inputs.mysql,
  );
  try {
    const [rows] = await conn.query(
      `SELECT c.user_id AS userId, c.code AS code
         FROM issued_coupons c JOIN coupon_events e ON e.id = c.event_id
        WHERE e.tenant = ? AND e.event_id = ?`,
      [inputs.tenant, inputs.eventId],
    );
    const coupons = rows as { userId: string; code: string }[];
    const perUser = new Map<string, string[]>();
    for (const c of coupons) perUser.set(c.userId, [...(perUser.get(c.userId) ?? []), c.code]);
    const maxPerUser = Math.max(0, ...[...perUser.values()].map((codes) => codes.length));
    const distinctCodes = new Set(coupons.map((c) => c.code)).size;

    const told = report.shoppers;
    const issuedTold = told.filter((s) => s.status === 'ISSUED');
    const mismatches = issuedTold.filter(
      (s) => !(perUser.get(s.userId) ?? []).includes(s.couponCode ?? ''),
    ).length;
    const soldOutWithCoupon = told.filter(
      (s) => s.status === 'SOLD_OUT' && perUser.has(s.userId),
    ).length;
    const unknown = told.filter((s) => s.status === 'LOST' || s.status === 'NOT_JOINED').length;
    // Fair order: every coupon went to an earlier ticket than any shopper who queued
    // and was told sold out (shoppers refused at the door hold no ticket).
    const ticketsOf = (status: string) =>
      told.filter((s) => s.status === status && s.ticket !== undefined).map((s) => s.ticket!);
    const worstIssued = ticketsOf('ISSUED').reduce((a, b) => Math.max(a, b), -Infinity);
    const bestSoldOut = ticketsOf('SOLD_OUT').reduce((a, b) => Math.min(a, b), Infinity);
    const place = (ticket: number) =>
      told.filter((s) => s.ticket !== undefined && s.ticket <= ticket).length;
    const expected = Math.min(stock, report.users);

    return [
      {
        name: 'never more coupons than stock',
        ok: coupons.length <= stock,
        detail: `${coupons.length} issued of ${stock}`,
      },
      {
        name: 'all stock issued when demand exceeds it',
        ok: coupons.length === expected,
        detail: `${coupons.length} issued, expected ${expected}`,
      },
      {
        name: 'never more than the per-user limit',
        ok: maxPerUser <= perUserLimit,
        detail: `most coupons for one shopper: ${maxPerUser}`,
      },
      {
        name: 'every code unique',
        ok: distinctCodes === coupons.length,
        detail: `${distinctCodes} distinct codes`,
      },
      {
        name: 'every shopper learned the outcome',
        ok: unknown === 0,
        detail: `${unknown} without an outcome`,
      },
      {
        name: 'what shoppers were told matches MySQL',
        ok: mismatches === 0 && soldOutWithCoupon === 0 && issuedTold.length === coupons.length,
        detail: `${issuedTold.length} told ISSUED, ${mismatches} codes not in MySQL, ${soldOutWithCoupon} told SOLD_OUT but hold a coupon`,
      },
      {
        name: 'fair order: earlier places got the coupons',
        ok: worstIssued < bestSoldOut,
        detail: `last place served: ${Number.isFinite(worstIssued) ? place(worstIssued) : 'none'}; first place sold out: ${Number.isFinite(bestSoldOut) ? place(bestSoldOut) : 'none'}`,
      },
    ];
  } finally {
    await conn.end();
  }
}
