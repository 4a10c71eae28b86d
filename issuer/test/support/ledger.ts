import mysql from 'mysql2/promise';
import type { Scenario } from './scenario.js';

/** What the database holds for an event: the invariants are checked against this. */
export async function ledgerOf(
  s: Scenario,
  eventId = s.eventId,
): Promise<{
  stock: number;
  issued: number;
  coupons: { user_id: string; seq: number; serial: number; code: string; ticket: number }[];
  decisions: { user_id: string; ticket: number; outcome: string; reason: string | null }[];
}> {
  const conn = await mysql.createConnection({
    host: s.db.host,
    port: s.db.port,
    user: s.db.user,
    password: s.db.password,
    database: s.db.name,
    supportBigNumbers: true,
  });
  try {
    const [events] = await conn.query<mysql.RowDataPacket[]>(
      'SELECT id, stock, issued FROM coupon_events WHERE tenant = ? AND event_id = ?',
      [s.tenant, eventId],
    );
    const event = events[0];
    if (!event) return { stock: 0, issued: 0, coupons: [], decisions: [] };
    const [coupons] = await conn.query<mysql.RowDataPacket[]>(
      'SELECT user_id, seq, serial, code, ticket FROM issued_coupons WHERE event_id = ? ORDER BY serial',
      [event.id],
    );
    const [decisions] = await conn.query<mysql.RowDataPacket[]>(
      'SELECT user_id, ticket, outcome, reason FROM issue_decisions WHERE event_id = ?',
      [event.id],
    );
    return {
      stock: Number(event.stock),
      issued: Number(event.issued),
      coupons: coupons.map((c) => ({ ...c, ticket: Number(c.ticket) })) as never,
      decisions: decisions.map((d) => ({ ...d, ticket: Number(d.ticket) })) as never,
    };
  } finally {
    await conn.end();
  }
}
