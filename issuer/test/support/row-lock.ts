import mysql from 'mysql2/promise';
import type { Scenario } from './scenario.js';

/**
 * Holds an event's row lock from a connection of the test's own, as a slow transaction
 * of another replica would: the issuer's next transaction for that event starts and
 * waits on it. A test stops the database meanwhile to be sure it fails a transaction
 * in the middle, with batches in hand, and not between two.
 */
export async function holdEventLock(
  s: Scenario,
  eventId = s.eventId,
): Promise<{ waiting(): Promise<number>; release(): Promise<void> }> {
  const conn = await mysql.createConnection({
    host: s.db.host,
    port: s.db.port,
    user: s.db.user,
    password: s.db.password,
    database: s.db.name,
  });
  // The server going away is the point of the test, not an error of it.
  conn.on('error', () => undefined);
  await conn.beginTransaction();
  const [rows] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT id FROM coupon_events WHERE tenant = ? AND event_id = ? FOR UPDATE',
    [s.tenant, eventId],
  );
  if (rows.length === 0) throw new Error(`no event row for ${s.tenant}/${eventId} to lock`);
  return {
    /** Other sessions of this database running a locking read (waiting on this lock). */
    async waiting() {
      const [found] = await conn.query<mysql.RowDataPacket[]>(
        `SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
          WHERE DB = ? AND ID <> CONNECTION_ID() AND INFO LIKE '%FOR UPDATE%'`,
        [s.db.name],
      );
      return Number(found[0]?.n ?? 0);
    },
    async release() {
      await conn.end().catch(() => conn.destroy());
    },
  };
}
