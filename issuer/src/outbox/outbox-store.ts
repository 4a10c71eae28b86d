import type { Sql } from '../db/connection.js';
import { integer, json, sqlDateTime } from '../db/sql-values.js';
import { issuedCouponsQuery, type IssuedCouponRecord } from './issued-events.js';
import type { IssuedRanges } from './outbox-rows.js';
import { OutboxKind } from '../db/entities/outbox-entry.js';

/**
 * The relay's SQL on coupon_outbox, one function per statement. Every one runs on the
 * relay's own session (relay-session.ts), the one holding the relay lock.
 */

/**
 * What a row that cannot be published becomes: marked (published_at set, so the relay
 * moves past it) and renamed, so it is told apart from a published row, never purged,
 * and easy to find and fix: `SELECT * FROM coupon_outbox WHERE kind = 'Invalid'`;
 * after fixing the payload, setting `kind` back (a payload with `ranges` is
 * 'CouponsIssued', one with `type` is 'Event') and `published_at` to NULL publishes it.
 */
export const INVALID_KIND = OutboxKind.Invalid;

export interface OutboxRow {
  id: number;
  kind: string;
  payload: unknown;
  createdAt: Date;
}

/**
 * The oldest unpublished rows, by id. Not "the rows after the last id published": ids
 * are taken when a transaction inserts, and it commits later, so a lower id can commit
 * after a higher one was published (two deciding transactions of different sales, a
 * redemption beside them). Selecting by `published_at IS NULL` (the index
 * (published_at, id)) finds such a row at the next poll, whatever was published since.
 * What this gives up is a global order, which nobody is promised: a coupon's own rows
 * are ordered, because every change to a coupon locks it (its sale's row when issuing,
 * its own row when redeeming or releasing) before inserting its outbox row, so the
 * next change's row is inserted, hence numbered, only after the previous one committed.
 */
export async function selectUnpublished(sql: Sql, limit: number): Promise<OutboxRow[]> {
  const rows = await sql<{ id: number; kind: string; payload: unknown; created_at: Date }[]>(
    `SELECT id, kind, payload, created_at FROM coupon_outbox
      WHERE published_at IS NULL ORDER BY id LIMIT ${integer(limit)}`,
  );
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind,
    payload: json(r.payload),
    createdAt: r.created_at,
  }));
}

export async function loadIssuedCoupons(
  sql: Sql,
  ranges: IssuedRanges,
): Promise<IssuedCouponRecord[]> {
  const rows = await sql<(IssuedCouponRecord & { discount: unknown })[]>(
    issuedCouponsQuery(ranges),
  );
  return rows.map((r) => ({
    ...r,
    saleId: Number(r.saleId),
    ticket: Number(r.ticket),
    discount: json(r.discount),
  }));
}

function idList(ids: readonly number[]): string {
  return ids.map(integer).join(',');
}

export async function markPublished(sql: Sql, ids: readonly number[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await sql(
    `UPDATE coupon_outbox SET published_at = '${sqlDateTime(at)}' WHERE id IN (${idList(ids)})`,
  );
}

export async function markInvalid(sql: Sql, ids: readonly number[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await sql(
    `UPDATE coupon_outbox SET kind = '${INVALID_KIND}', published_at = '${sqlDateTime(at)}'
      WHERE id IN (${idList(ids)})`,
  );
}

/**
 * Deletes up to `limit` rows published before `before` (invalid rows stay), oldest
 * first: small chunks, so no statement holds many row locks or a long undo log.
 */
export async function purgePublished(sql: Sql, before: Date, limit: number): Promise<number> {
  const result = await sql<{ affectedRows: number }>(
    `DELETE FROM coupon_outbox
      WHERE published_at < '${sqlDateTime(before)}' AND kind <> '${INVALID_KIND}'
      ORDER BY published_at, id LIMIT ${integer(limit)}`,
  );
  return result.affectedRows;
}

/** How many rows wait, and since when the oldest (by id) does. */
export async function pendingStats(sql: Sql): Promise<{ rows: number; oldest: Date | null }> {
  const [count, oldest] = await Promise.all([
    sql<{ n: number }[]>('SELECT COUNT(*) AS n FROM coupon_outbox WHERE published_at IS NULL'),
    sql<{ created_at: Date }[]>(
      'SELECT created_at FROM coupon_outbox WHERE published_at IS NULL ORDER BY id LIMIT 1',
    ),
  ]);
  return { rows: Number(count[0]?.n ?? 0), oldest: oldest[0]?.created_at ?? null };
}
