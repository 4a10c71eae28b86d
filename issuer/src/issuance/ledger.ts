import type { QueryRunner } from 'typeorm';
import type { Discount, IssuePolicy } from '@rediclaim/core';
import type { NewCoupon, NewDecision, StoredCoupon, StoredDecision } from './plan.js';
import type { Revision } from './revisions.js';

/**
 * The SQL of a deciding transaction, one function per statement. Plain multi-row
 * statements on the transaction's connection: the hot path writes thousands of rows
 * per transaction, where an ORM's per-entity work would cost more than the database.
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
const ROWS_PER_STATEMENT = 1_000;
const KEYS_PER_LOOKUP = 2_000;

/** MariaDB's JSON is LONGTEXT: depending on the driver and server it arrives as text or parsed. */
function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const placeholders = (rows: number, columns: number) =>
  Array.from({ length: rows }, () => `(${Array(columns).fill('?').join(',')})`).join(',');

/** Locks the event's row until commit: every decision about an event goes through here. */
export async function lockEvent(
  q: QueryRunner,
  tenant: string,
  eventId: string,
): Promise<EventRow | undefined> {
  const rows = (await q.query(
    `SELECT id, generation, stock, issued, code_prefix, code_length, policy
       FROM coupon_events WHERE tenant = ? AND event_id = ? FOR UPDATE`,
    [tenant, eventId],
  )) as Record<string, unknown>[];
  const row = rows[0];
  if (!row) return undefined;
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

/** Creates the event from a policy; a replica that created it first wins (nothing changes). */
export async function createEvent(
  q: QueryRunner,
  tenant: string,
  eventId: string,
  policy: IssuePolicy,
  now: Date,
): Promise<void> {
  await q.query(
    `INSERT INTO coupon_events
       (tenant, event_id, generation, stock, issued, code_prefix, code_length, policy, created_at, updated_at)
     VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?)
     ON DUPLICATE KEY UPDATE id = id`,
    [
      tenant,
      eventId,
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
  q: QueryRunner,
  eventRowId: number,
  revision: Omit<Revision, 'previousStock'> & { previousStock: number | null },
  now: Date,
): Promise<boolean> {
  const result = (await q.query(
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
  )) as { affectedRows?: number };
  return result.affectedRows === 1;
}

/** The coupons and other decisions the given users already have in this event. */
export async function loadUserHistory(
  q: QueryRunner,
  eventRowId: number,
  userIds: readonly string[],
): Promise<{ coupons: StoredCoupon[]; decisions: StoredDecision[] }> {
  const coupons: StoredCoupon[] = [];
  const decisions: StoredDecision[] = [];
  for (const users of chunks(userIds, KEYS_PER_LOOKUP)) {
    const list = users.map(() => '?').join(',');
    const couponRows = (await q.query(
      `SELECT user_id, ticket, serial, code, discount, valid_from, valid_until, issued_at
         FROM issued_coupons WHERE event_id = ? AND user_id IN (${list})`,
      [eventRowId, ...users],
    )) as Record<string, unknown>[];
    for (const row of couponRows) {
      coupons.push({
        userId: String(row.user_id),
        ticket: Number(row.ticket),
        serial: Number(row.serial),
        code: String(row.code),
        discount: json<Discount>(row.discount),
        validFrom: row.valid_from as Date,
        validUntil: row.valid_until as Date,
        issuedAt: row.issued_at as Date,
      });
    }
    const decisionRows = (await q.query(
      `SELECT user_id, ticket, outcome, reason, decided_at
         FROM issue_decisions WHERE event_id = ? AND user_id IN (${list})`,
      [eventRowId, ...users],
    )) as Record<string, unknown>[];
    for (const row of decisionRows) {
      decisions.push({
        userId: String(row.user_id),
        ticket: Number(row.ticket),
        outcome: String(row.outcome) as StoredDecision['outcome'],
        reason: row.reason === null ? null : String(row.reason),
        decidedAt: row.decided_at as Date,
      });
    }
  }
  return { coupons, decisions };
}

/** 'YYYY-MM-DD HH:MM:SS.mmm' in UTC, as DATETIME(3) stores it (the pool runs in UTC). */
function sqlDateTime(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}

/**
 * Serialises each distinct value once: a batch's coupons share one discount object and
 * the same three instants, and formatting them per row is most of a statement's cost.
 */
function memo<K, V>(convert: (key: K) => V): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = convert(key);
      cache.set(key, value);
    }
    return value;
  };
}

export async function insertCoupons(
  q: QueryRunner,
  eventRowId: number,
  coupons: readonly NewCoupon[],
): Promise<void> {
  const discountJson = memo((d: Discount) => JSON.stringify(d));
  const dateTime = memo(sqlDateTime);
  for (const rows of chunks(coupons, ROWS_PER_STATEMENT)) {
    const values: unknown[] = [];
    for (const c of rows) {
      values.push(
        eventRowId,
        c.serial,
        c.userId,
        c.seq,
        c.ticket,
        c.requestId,
        c.code,
        c.generation,
        discountJson(c.discount),
        dateTime(c.validFrom),
        dateTime(c.validUntil),
        dateTime(c.issuedAt),
      );
    }
    await q.query(
      `INSERT INTO issued_coupons
         (event_id, serial, user_id, seq, ticket, request_id, code, generation, discount,
          valid_from, valid_until, issued_at)
       VALUES ${placeholders(rows.length, 12)}`,
      values,
    );
  }
}

export async function insertDecisions(
  q: QueryRunner,
  eventRowId: number,
  decisions: readonly NewDecision[],
): Promise<void> {
  const dateTime = memo(sqlDateTime);
  for (const rows of chunks(decisions, ROWS_PER_STATEMENT)) {
    const values: unknown[] = [];
    for (const d of rows) {
      values.push(
        eventRowId,
        d.userId,
        d.ticket,
        d.requestId,
        d.outcome,
        d.reason,
        d.generation,
        dateTime(d.decidedAt),
      );
    }
    await q.query(
      `INSERT INTO issue_decisions
         (event_id, user_id, ticket, request_id, outcome, reason, generation, decided_at)
       VALUES ${placeholders(rows.length, 8)}`,
      values,
    );
  }
}

/** Writes the event's new state: issued count, and the applied generation when it changed. */
export async function updateEvent(
  q: QueryRunner,
  eventRowId: number,
  state: { issued: number; generation: number; stock: number; policy: IssuePolicy },
  policyChanged: boolean,
  now: Date,
): Promise<void> {
  if (policyChanged) {
    await q.query(
      `UPDATE coupon_events SET issued = ?, generation = ?, stock = ?, policy = ?, updated_at = ?
        WHERE id = ?`,
      [state.issued, state.generation, state.stock, JSON.stringify(state.policy), now, eventRowId],
    );
  } else {
    await q.query('UPDATE coupon_events SET issued = ?, updated_at = ? WHERE id = ?', [
      state.issued,
      now,
      eventRowId,
    ]);
  }
}
