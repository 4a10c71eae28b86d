import { escape } from 'mysql2';
import type { Discount, IssuePolicy } from '@rediclaim/core';
import type { NewCoupon, NewDecision, StoredCoupon, StoredDecision } from '../decisions/plan.js';
import type { Revision } from '../decisions/revisions.js';
import type { Sql } from './connection.js';
import { chunks, integer, json, memo, sqlDateTime } from './sql-values.js';

/**
 * The SQL of a deciding transaction, one function per statement. Plain multi-row
 * statements on the transaction's connection: the hot path writes thousands of rows
 * per transaction, where an ORM's per-entity work would cost more than the database.
 * Writes are returned as statements, so the transaction can pipeline them.
 */

export interface EventRow {
  id: number;
  generation: number;
  stock: number;
  issued: number;
  codePrefix: string;
  codeLength: number;
  policy: IssuePolicy;
}

/** Statements stay well under max_allowed_packet (16 MiB on MariaDB, 64 MiB on MySQL 8). */
const ROWS_PER_STATEMENT = 10_000;
const KEYS_PER_LOOKUP = 2_000;

/** One sale: the event's tenant and id, and its CouponEvent uid ('' when not named). */
export interface SaleKey {
  tenant: string;
  eventId: string;
  uid: string;
}

const EVENT_COLUMNS = 'id, generation, stock, issued, code_prefix, code_length, policy';

function eventRowOf(row: Record<string, unknown>): EventRow {
  return {
    id: Number(row.id),
    generation: Number(row.generation),
    stock: Number(row.stock),
    issued: Number(row.issued),
    codePrefix: String(row.code_prefix),
    codeLength: Number(row.code_length),
    policy: json<IssuePolicy>(row.policy),
  };
}

/**
 * Locks the sale's row until commit: every decision about a sale goes through here. A
 * request that names no uid (a standalone gate, or one from before uids) decides against
 * the event's newest sale; one that names a uid, against that sale, claiming the row of
 * the event from before uids if that is all there is (so an upgrade mid-sale keeps one
 * stock).
 */
export async function lockEvent(sql: Sql, sale: SaleKey): Promise<EventRow | undefined> {
  if (sale.uid === '') {
    // Two steps: a locking read ordered by id would walk (and lock) rows of other
    // events; the plain read takes no lock, the second locks the one row by its key.
    const newest = await sql<Record<string, unknown>[]>(
      `SELECT id FROM coupon_events WHERE tenant = ? AND event_id = ? ORDER BY id DESC LIMIT 1`,
      [sale.tenant, sale.eventId],
    );
    if (!newest[0]) return undefined;
    const rows = await sql<Record<string, unknown>[]>(
      `SELECT ${EVENT_COLUMNS} FROM coupon_events WHERE id = ? FOR UPDATE`,
      [newest[0].id],
    );
    return rows[0] ? eventRowOf(rows[0]) : undefined;
  }
  const select = async () => {
    const rows = await sql<Record<string, unknown>[]>(
      `SELECT ${EVENT_COLUMNS} FROM coupon_events WHERE tenant = ? AND event_id = ? AND uid = ?
        FOR UPDATE`,
      [sale.tenant, sale.eventId, sale.uid],
    );
    return rows[0] ? eventRowOf(rows[0]) : undefined;
  };
  const found = await select();
  if (found) return found;
  // Atomic: of two replicas claiming at once, one updates the row, both then find it.
  await sql(`UPDATE coupon_events SET uid = ? WHERE tenant = ? AND event_id = ? AND uid = ''`, [
    sale.uid,
    sale.tenant,
    sale.eventId,
  ]);
  return select();
}

/** Creates the sale from a policy; a replica that created it first wins (nothing changes). */
export async function createEvent(
  sql: Sql,
  sale: SaleKey,
  policy: IssuePolicy,
  now: Date,
): Promise<void> {
  await sql(
    `INSERT INTO coupon_events
       (tenant, event_id, uid, generation, stock, issued, code_prefix, code_length, policy, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE id = id`,
    [
      sale.tenant,
      sale.eventId,
      sale.uid,
      policy.generation,
      policy.stock,
      policy.code.prefix,
      policy.code.length,
      JSON.stringify(policy),
      now,
      now,
    ],
  );
}

/**
 * Records a generation in the audit; true when this call recorded it (once fleet-wide).
 * INSERT IGNORE, not ON DUPLICATE KEY UPDATE: mysql2 sets CLIENT_FOUND_ROWS, so a
 * duplicate would also report one affected row.
 */
export async function recordRevision(
  sql: Sql,
  eventRowId: number,
  revision: Omit<Revision, 'previousStock'> & { previousStock: number | null },
  now: Date,
): Promise<boolean> {
  const result = await sql<{ affectedRows?: number }>(
    `INSERT IGNORE INTO coupon_event_revisions
       (event_id, generation, outcome, stock, previous_stock, issued_then, policy, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      eventRowId,
      revision.generation,
      revision.outcome,
      revision.stock,
      revision.previousStock,
      revision.issuedThen,
      JSON.stringify(revision.policy),
      now,
    ],
  );
  return result.affectedRows === 1;
}

/**
 * The coupons and other decisions the given users already have in this event, both in
 * one statement (one round trip fewer while the event row is locked).
 */
export async function loadUserHistory(
  sql: Sql,
  eventRowId: number,
  userIds: readonly string[],
): Promise<{ coupons: StoredCoupon[]; decisions: StoredDecision[] }> {
  const coupons: StoredCoupon[] = [];
  const decisions: StoredDecision[] = [];
  const event = integer(eventRowId);
  // Every lookup at once: mysql2 sends them back to back on the one connection, so the
  // row lock is not held across a round trip per chunk.
  const lookups = chunks(userIds, KEYS_PER_LOOKUP).map((users) => {
    const list = users.map((u) => escape(u)).join(',');
    return sql<Record<string, unknown>[]>(
      `SELECT 'C' AS kind, user_id, ticket, serial, code, discount, valid_from, valid_until,
              issued_at AS at, NULL AS outcome, NULL AS reason
         FROM issued_coupons WHERE event_id = ${event} AND user_id IN (${list})
       UNION ALL
       SELECT 'D', user_id, ticket, NULL, NULL, NULL, NULL, NULL, decided_at, outcome, reason
         FROM issue_decisions WHERE event_id = ${event} AND user_id IN (${list})`,
    );
  });
  const settled = await Promise.allSettled(lookups);
  for (const result of settled) {
    if (result.status === 'rejected') throw result.reason;
    for (const row of result.value) {
      if (row.kind === 'C') {
        coupons.push({
          userId: String(row.user_id),
          ticket: Number(row.ticket),
          serial: Number(row.serial),
          code: String(row.code),
          discount: json<Discount>(row.discount),
          validFrom: row.valid_from as Date,
          validUntil: row.valid_until as Date,
          issuedAt: row.at as Date,
        });
      } else {
        decisions.push({
          userId: String(row.user_id),
          ticket: Number(row.ticket),
          outcome: String(row.outcome) as StoredDecision['outcome'],
          reason: row.reason === null ? null : String(row.reason),
          decidedAt: row.at as Date,
        });
      }
    }
  }
  return { coupons, decisions };
}

/** Whether the sale holds any decision that issued nothing (SOLD_OUT, REJECTED, ...). */
export async function hasDecisions(sql: Sql, eventRowId: number): Promise<boolean> {
  const rows = await sql<unknown[]>(
    `SELECT 1 FROM issue_decisions WHERE event_id = ${integer(eventRowId)} LIMIT 1`,
  );
  return rows.length > 0;
}

export function couponInserts(eventRowId: number, coupons: readonly NewCoupon[]): string[] {
  // A batch's coupons share the event, generation, discount and instants: escape those
  // once. The rest are integers and escaped strings; building the VALUES list directly
  // skips scanning a statement of thousands of placeholders per chunk.
  const discount = memo((d: Discount) => escape(JSON.stringify(d)));
  const dateTime = memo((d: Date) => escape(sqlDateTime(d)));
  const event = integer(eventRowId);
  return chunks(coupons, ROWS_PER_STATEMENT).map((rows) => {
    const values = rows.map(
      (c) =>
        `(${event},${integer(c.serial)},${escape(c.userId)},${integer(c.seq)},${integer(c.ticket)},` +
        `${escape(c.requestId)},${escape(c.code)},${integer(c.generation)},${discount(c.discount)},` +
        `${dateTime(c.validFrom)},${dateTime(c.validUntil)},${dateTime(c.issuedAt)})`,
    );
    return `INSERT INTO issued_coupons
         (event_id, serial, user_id, seq, ticket, request_id, code, generation, discount,
          valid_from, valid_until, issued_at)
       VALUES ${values.join(',')}`;
  });
}

export function decisionInserts(eventRowId: number, decisions: readonly NewDecision[]): string[] {
  const dateTime = memo((d: Date) => escape(sqlDateTime(d)));
  const event = integer(eventRowId);
  return chunks(decisions, ROWS_PER_STATEMENT).map((rows) => {
    const values = rows.map(
      (d) =>
        `(${event},${escape(d.userId)},${integer(d.ticket)},${escape(d.requestId)},` +
        `${escape(d.outcome)},${escape(d.reason)},${integer(d.generation)},${dateTime(d.decidedAt)})`,
    );
    return `INSERT INTO issue_decisions
         (event_id, user_id, ticket, request_id, outcome, reason, generation, decided_at)
       VALUES ${values.join(',')}`;
  });
}

/** The event's new state: issued count, and the applied generation when it changed. */
export function eventUpdate(
  eventRowId: number,
  state: { issued: number; generation: number; stock: number; policy: IssuePolicy },
  policyChanged: boolean,
  now: Date,
): { sql: string; values: unknown[] } {
  return policyChanged
    ? {
        sql: `UPDATE coupon_events SET issued = ?, generation = ?, stock = ?, policy = ?, updated_at = ?
               WHERE id = ?`,
        values: [
          state.issued,
          state.generation,
          state.stock,
          JSON.stringify(state.policy),
          now,
          eventRowId,
        ],
      }
    : {
        sql: 'UPDATE coupon_events SET issued = ?, updated_at = ? WHERE id = ?',
        values: [state.issued, now, eventRowId],
      };
}
