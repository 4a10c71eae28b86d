import { expect } from '@jest/globals';
import mysql from 'mysql2/promise';
import {
  couponIdOf,
  couponLifecycleEventSchema,
  lifecycleEventIdOf,
  type CouponLifecycleEvent,
  type CouponRedeemed,
  type CouponReleased,
} from '@rediclaim/core';
import {
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  EVENT_VERSION_HEADER,
  eventOutboxInsert,
  type IssuedCouponRecord,
  type StoredLifecycleEvent,
} from '@rediclaim/issuer';
import type { Scenario } from './scenario.js';
import { TopicReader } from './topic-reader.js';

/** One record of the coupons topic: the event (valid per core's schema) and where it was. */
export interface Published {
  event: CouponLifecycleEvent;
  key: string;
  headers: Record<string, string>;
  partition: number;
  offset: number;
}

/** Reads the scenario's coupons topic; a record that is not a valid event fails the read. */
export function couponEventReader(s: Scenario): Promise<TopicReader<Published>> {
  return new TopicReader(s, s.topics.coupons, (value, record) => {
    const headers: Record<string, string> = {};
    for (const [name, v] of Object.entries(record.headers ?? {})) headers[name] = String(v);
    return [
      {
        event: couponLifecycleEventSchema.parse(JSON.parse(value.toString('utf8'))),
        key: record.key?.toString('utf8') ?? '',
        headers,
        partition: record.partition,
        offset: Number(record.offset),
      },
    ];
  }).start();
}

export async function connect(s: Scenario): Promise<mysql.Connection> {
  const conn = await mysql.createConnection({
    host: s.db.host,
    port: s.db.port,
    user: s.db.user,
    password: s.db.password,
    database: s.db.name,
    timezone: 'Z',
    supportBigNumbers: true,
  });
  // A connection whose server restarts under it is the point of some tests.
  conn.on('error', () => undefined);
  return conn;
}

export async function query<T>(s: Scenario, sql: string, values: unknown[] = []): Promise<T[]> {
  const conn = await connect(s);
  try {
    const [rows] = await conn.query(sql, values);
    return rows as T[];
  } finally {
    await conn.end();
  }
}

export interface OutboxRecord {
  id: number;
  kind: string;
  payload: unknown;
  published: boolean;
}

export async function outboxRows(s: Scenario): Promise<OutboxRecord[]> {
  const rows = await query<{ id: number; kind: string; payload: unknown; published_at: unknown }>(
    s,
    'SELECT id, kind, payload, published_at FROM coupon_outbox ORDER BY id',
  );
  return rows.map((r) => ({
    id: Number(r.id),
    kind: r.kind,
    payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
    published: r.published_at !== null,
  }));
}

/**
 * What the database says is committed for publishing: every event id with its sequence
 * (the outbox row's id), read from the rows themselves (a CouponsIssued row's ranges,
 * an Event row's payload), not from the relay's code. Invalid rows publish nothing.
 */
export async function committedEvents(s: Scenario): Promise<Map<string, number>> {
  const expected = new Map<string, number>();
  for (const row of await outboxRows(s)) {
    if (row.kind === 'CouponsIssued') {
      const { saleId, ranges } = row.payload as { saleId: number; ranges: [number, number][] };
      for (const [from, to] of ranges) {
        for (let serial = from; serial <= to; serial++) {
          expected.set(lifecycleEventIdOf('CouponIssued', couponIdOf(saleId, serial)), row.id);
        }
      }
    } else if (row.kind === 'Event') {
      expected.set((row.payload as { id: string }).id, row.id);
    }
  }
  return expected;
}

/** How many records carry each event id. */
export function copiesById(items: readonly Published[]): Map<string, number> {
  const copies = new Map<string, number>();
  for (const p of items) copies.set(p.event.id, (copies.get(p.event.id) ?? 0) + 1);
  return copies;
}

/**
 * Every committed event on the topic at least once with its sequence, nothing that is
 * not committed, every record keyed by its coupon with the event's headers, and each
 * coupon's events, deduplicated by id (first copy kept, in partition order), in
 * sequence order.
 */
export function expectPublishedExactly(
  committed: ReadonlyMap<string, number>,
  items: readonly Published[],
): void {
  const onTopic = new Map<string, number>();
  for (const { event, key, headers } of items) {
    expect(key).toBe(event.coupon.id);
    expect(headers).toEqual({
      [EVENT_ID_HEADER]: event.id,
      [EVENT_TYPE_HEADER]: event.type,
      [EVENT_VERSION_HEADER]: String(event.version),
    });
    // A copy published again is the same event.
    if (onTopic.has(event.id)) expect(event.sequence).toBe(onTopic.get(event.id));
    onTopic.set(event.id, event.sequence);
  }
  expect([...onTopic.keys()].filter((id) => !committed.has(id))).toEqual([]);
  expect([...committed.keys()].filter((id) => !onTopic.has(id))).toEqual([]);
  for (const [id, sequence] of committed) expect(onTopic.get(id)).toBe(sequence);
  expectOrderedPerCoupon(items);
}

/** Each coupon's first copies, in the order its partition holds them, by increasing sequence. */
export function expectOrderedPerCoupon(items: readonly Published[]): void {
  const byPartition = [...items].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  const seen = new Set<string>();
  const last = new Map<string, number>();
  const disorder: string[] = [];
  for (const { event } of byPartition) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    const before = last.get(event.coupon.id);
    if (before !== undefined && before >= event.sequence) {
      disorder.push(`${event.id} (sequence ${event.sequence} after ${before})`);
    }
    last.set(event.coupon.id, event.sequence);
  }
  expect(disorder).toEqual([]);
}

/** A redemption's and a release's events of one coupon, as the redemption code stores them. */
export function redeemedAndReleased(
  coupon: { saleId: number; serial: number; code: string; userId: string },
  sale: { tenant: string; eventId: string; uid?: string },
  redemption: number,
  at: Date,
): [StoredLifecycleEvent, StoredLifecycleEvent] {
  const id = couponIdOf(coupon.saleId, coupon.serial);
  const envelope = {
    version: 1 as const,
    occurredAt: at.toISOString(),
    tenant: sale.tenant,
    eventId: sale.eventId,
    ...(sale.uid ? { uid: sale.uid } : {}),
    coupon: { id, code: coupon.code, serial: coupon.serial, userId: coupon.userId },
  };
  const ref = {
    id: `rdm_${redemption}`,
    orderId: `order-${redemption}`,
    orderAmount: 10_000,
    discountAmount: 1_000,
  };
  const redeemed: Omit<CouponRedeemed, 'sequence'> = {
    ...envelope,
    type: 'CouponRedeemed',
    id: lifecycleEventIdOf('CouponRedeemed', ref.id),
    redemption: ref,
  };
  const released: Omit<CouponReleased, 'sequence'> = {
    ...envelope,
    type: 'CouponReleased',
    id: lifecycleEventIdOf('CouponReleased', ref.id),
    redemption: ref,
    reason: 'order cancelled',
  };
  return [redeemed, released];
}

/** Inserts Event rows, one committed transaction each, in order (as redemptions would). */
export async function insertEvents(
  s: Scenario,
  events: readonly StoredLifecycleEvent[],
): Promise<void> {
  const conn = await connect(s);
  try {
    for (const event of events) await conn.query(eventOutboxInsert(event, new Date()));
  } finally {
    await conn.end();
  }
}

/** The issued coupons of the scenario's sales, with their sale (read here, not by the relay's query). */
export async function issuedCoupons(s: Scenario): Promise<IssuedCouponRecord[]> {
  const rows = await query<IssuedCouponRecord>(
    s,
    `SELECT c.event_id AS saleId, c.serial, c.user_id AS userId, c.code, c.request_id AS requestId,
            c.ticket, c.discount, c.valid_from AS validFrom, c.valid_until AS validUntil,
            c.issued_at AS issuedAt, e.tenant, e.event_id AS eventId, e.uid
       FROM issued_coupons c JOIN coupon_events e ON e.id = c.event_id
      ORDER BY c.event_id, c.serial`,
  );
  return rows.map((r) => ({
    ...r,
    saleId: Number(r.saleId),
    ticket: Number(r.ticket),
    discount: typeof r.discount === 'string' ? JSON.parse(r.discount) : r.discount,
  }));
}
