import type { Discount } from '@rediclaim/core';
import type { Sql } from '../db/connection.js';
import type { AuditAction } from '../db/entities/coupon-audit.js';
import type { RedemptionState } from '../db/entities/coupon-redemption.js';
import { json } from '../db/sql-values.js';

/**
 * The SQL of redemptions, one function per statement. Coupons are found by code through
 * the tenant's sales and the (event_id, code) unique key, so redemption adds no index to
 * issued_coupons (each would slow issuance). Locks are taken on the coupon row alone,
 * never on the sale's row, which issuance holds while it decides.
 */

export interface StoredCoupon {
  saleId: number;
  serial: number;
  tenant: string;
  eventId: string;
  /** '' when the sale was not named by a CouponEvent uid. */
  uid: string;
  code: string;
  userId: string;
  ticket: number;
  requestId: string;
  discount: Discount;
  validFrom: Date;
  validUntil: Date;
  issuedAt: Date;
}

export interface StoredRedemption {
  id: number;
  tenant: string;
  saleId: number;
  serial: number;
  userId: string;
  orderId: string;
  idempotencyKey: string;
  requestHash: string;
  orderAmount: number;
  discountAmount: number;
  currency: string | null;
  state: RedemptionState;
  redeemedAt: Date;
  releasedAt: Date | null;
  releaseReason: string | null;
}

export interface AuditEntry {
  action: AuditAction;
  redemptionId: number | null;
  orderId: string | null;
  code: string | null;
  detail: string | null;
  at: Date;
}

type Row = Record<string, unknown>;

const COUPON_COLUMNS = `c.event_id, c.serial, c.code, c.user_id, c.ticket, c.request_id, c.discount,
  c.valid_from, c.valid_until, c.issued_at`;

function couponOf(row: Row, sale: { tenant: string; eventId: string; uid: string }): StoredCoupon {
  return {
    saleId: Number(row.event_id),
    serial: Number(row.serial),
    ...sale,
    code: String(row.code),
    userId: String(row.user_id),
    ticket: Number(row.ticket),
    requestId: String(row.request_id),
    discount: json<Discount>(row.discount),
    validFrom: row.valid_from as Date,
    validUntil: row.valid_until as Date,
    issuedAt: row.issued_at as Date,
  };
}

/**
 * The tenant's coupons with this code (one, unless two sales' codes collide; with
 * `eventId`, only that event's sales), in one statement: the tenant's sales by their
 * key's prefix, then each sale's coupon by the (event_id, code) unique key. No lock.
 */
export async function findCoupons(
  sql: Sql,
  tenant: string,
  code: string,
  eventId?: string,
): Promise<StoredCoupon[]> {
  const rows = await sql<Row[]>(
    `SELECT ${COUPON_COLUMNS}, e.event_id AS event_name, e.uid
       FROM coupon_events e JOIN issued_coupons c ON c.event_id = e.id AND c.code = ?
      WHERE e.tenant = ?${eventId ? ' AND e.event_id = ?' : ''}`,
    eventId ? [code, tenant, eventId] : [code, tenant],
  );
  return rows.map((row) =>
    couponOf(row, { tenant, eventId: String(row.event_name), uid: String(row.uid) }),
  );
}

/** Locks one coupon's row until commit: every change to a coupon's redemption starts here. */
export async function lockCoupon(sql: Sql, saleId: number, serial: number): Promise<void> {
  await sql('SELECT serial FROM issued_coupons WHERE event_id = ? AND serial = ? FOR UPDATE', [
    saleId,
    serial,
  ]);
}

/** One coupon by its sale and serial, with its sale's names. */
export async function couponAt(
  sql: Sql,
  saleId: number,
  serial: number,
): Promise<StoredCoupon | undefined> {
  const rows = await sql<Row[]>(
    `SELECT ${COUPON_COLUMNS}, e.tenant, e.event_id AS event_name, e.uid
       FROM issued_coupons c JOIN coupon_events e ON e.id = c.event_id
      WHERE c.event_id = ? AND c.serial = ?`,
    [saleId, serial],
  );
  const row = rows[0];
  return row
    ? couponOf(row, {
        tenant: String(row.tenant),
        eventId: String(row.event_name),
        uid: String(row.uid),
      })
    : undefined;
}

const REDEMPTION_COLUMNS = `id, tenant, event_id, serial, user_id, order_id, idempotency_key, request_hash,
  order_amount, discount_amount, currency, state, redeemed_at, released_at, release_reason`;

function redemptionOf(row: Row): StoredRedemption {
  return {
    id: Number(row.id),
    tenant: String(row.tenant),
    saleId: Number(row.event_id),
    serial: Number(row.serial),
    userId: String(row.user_id),
    orderId: String(row.order_id),
    idempotencyKey: String(row.idempotency_key),
    requestHash: String(row.request_hash),
    orderAmount: Number(row.order_amount),
    discountAmount: Number(row.discount_amount),
    currency: row.currency === null ? null : String(row.currency),
    state: String(row.state) as RedemptionState,
    redeemedAt: row.redeemed_at as Date,
    releasedAt: (row.released_at as Date | null) ?? null,
    releaseReason: row.release_reason === null ? null : String(row.release_reason),
  };
}

/**
 * In one statement, with the coupon locked: the redemption made under this
 * Idempotency-Key (any coupon), and the coupon's redemption in force (REDEEMED).
 */
export async function redemptionsFor(
  sql: Sql,
  tenant: string,
  idempotencyKey: string,
  saleId: number,
  serial: number,
): Promise<{ byKey?: StoredRedemption; active?: StoredRedemption }> {
  const rows = await sql<Row[]>(
    `SELECT ${REDEMPTION_COLUMNS} FROM coupon_redemptions WHERE tenant = ? AND idempotency_key = ?
     UNION
     SELECT ${REDEMPTION_COLUMNS} FROM coupon_redemptions
      WHERE event_id = ? AND serial = ? AND state = 'REDEEMED'`,
    [tenant, idempotencyKey, saleId, serial],
  );
  const found = rows.map(redemptionOf);
  const byKey = found.find((r) => r.idempotencyKey === idempotencyKey);
  const active = found.find(
    (r) => r.saleId === saleId && r.serial === serial && r.state === 'REDEEMED',
  );
  return { ...(byKey ? { byKey } : {}), ...(active ? { active } : {}) };
}

export async function redemptionById(
  sql: Sql,
  tenant: string,
  id: number,
): Promise<StoredRedemption | undefined> {
  const rows = await sql<Row[]>(
    `SELECT ${REDEMPTION_COLUMNS} FROM coupon_redemptions WHERE id = ? AND tenant = ?`,
    [id, tenant],
  );
  return rows[0] ? redemptionOf(rows[0]) : undefined;
}

/** The coupon's redemption in force (REDEEMED), if any; run with the coupon locked. */
export async function activeRedemption(
  sql: Sql,
  saleId: number,
  serial: number,
): Promise<StoredRedemption | undefined> {
  const rows = await sql<Row[]>(
    `SELECT ${REDEMPTION_COLUMNS} FROM coupon_redemptions
      WHERE event_id = ? AND serial = ? AND state = 'REDEEMED'`,
    [saleId, serial],
  );
  return rows[0] ? redemptionOf(rows[0]) : undefined;
}

export async function insertRedemption(
  sql: Sql,
  r: Omit<StoredRedemption, 'id' | 'state' | 'releasedAt' | 'releaseReason'>,
): Promise<number> {
  const result = await sql<{ insertId: number }>(
    `INSERT INTO coupon_redemptions
       (tenant, event_id, serial, user_id, order_id, idempotency_key, request_hash,
        order_amount, discount_amount, currency, state, redeemed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'REDEEMED', ?)`,
    [
      r.tenant,
      r.saleId,
      r.serial,
      r.userId,
      r.orderId,
      r.idempotencyKey,
      r.requestHash,
      r.orderAmount,
      r.discountAmount,
      r.currency,
      r.redeemedAt,
    ],
  );
  return Number(result.insertId);
}

export async function markReleased(sql: Sql, id: number, reason: string, at: Date): Promise<void> {
  await sql(
    `UPDATE coupon_redemptions SET state = 'RELEASED', released_at = ?, release_reason = ?
      WHERE id = ? AND state = 'REDEEMED'`,
    [at, reason, id],
  );
}

export async function appendAudit(
  sql: Sql,
  saleId: number,
  serial: number,
  entry: AuditEntry,
): Promise<void> {
  await sql(
    `INSERT INTO coupon_audit (event_id, serial, action, redemption_id, order_id, code, detail, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      saleId,
      serial,
      entry.action,
      entry.redemptionId,
      entry.orderId,
      entry.code,
      entry.detail?.slice(0, 300) ?? null,
      entry.at,
    ],
  );
}

/** The coupon's history after issuance, oldest first, and its redemptions. */
export async function historyOf(
  sql: Sql,
  saleId: number,
  serial: number,
): Promise<{ audit: AuditEntry[]; redemptions: StoredRedemption[] }> {
  const [audit, redemptions] = await Promise.all([
    sql<Row[]>(
      `SELECT action, redemption_id, order_id, code, detail, at FROM coupon_audit
        WHERE event_id = ? AND serial = ? ORDER BY id`,
      [saleId, serial],
    ),
    sql<Row[]>(
      `SELECT ${REDEMPTION_COLUMNS} FROM coupon_redemptions
        WHERE event_id = ? AND serial = ? ORDER BY id`,
      [saleId, serial],
    ),
  ]);
  return {
    audit: audit.map((row) => ({
      action: String(row.action) as AuditAction,
      redemptionId: row.redemption_id === null ? null : Number(row.redemption_id),
      orderId: row.order_id === null ? null : String(row.order_id),
      code: row.code === null ? null : String(row.code),
      detail: row.detail === null ? null : String(row.detail),
      at: row.at as Date,
    })),
    redemptions: redemptions.map(redemptionOf),
  };
}
