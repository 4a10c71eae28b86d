import { describe, expect, it } from '@jest/globals';
import {
  decodeIssueRequests,
  decodeIssueResults,
  encodeBatchRecords,
  encodeIssueRequestV1,
  encodeIssueRequests,
  encodeIssueResultV1,
  encodeIssueResults,
  messageKeyOf,
  requestIdOf,
  type IssuePolicy,
  type IssueRequestBatchHeader,
  type IssueRequestItem,
  type IssueResult,
} from '@rediclaim/core';
import { codeOf } from './support/error-code.js';

const policy: IssuePolicy = {
  generation: 2,
  stock: 100,
  perUserLimit: 1,
  validity: { validForHours: 24 },
  discount: { type: 'percent', percent: 10 },
  code: { prefix: '', length: 12 },
};
const header: IssueRequestBatchHeader = {
  type: 'IssueRequestBatch',
  version: 2,
  tenant: 'shop-a',
  eventId: '1001',
  uid: 'uid-1',
  admittedAt: '2026-11-27T10:00:00.000Z',
  policy,
};
const item = (i: number): IssueRequestItem => ({
  requestId: requestIdOf('shop-a', '1001', `user-${i}`, i),
  userId: `user-${i}`,
  ticket: i,
});
const items = (n: number) => Array.from({ length: n }, (_, i) => item(i + 1));

const result = (i: number, over: Partial<IssueResult> = {}): IssueResult => ({
  type: 'IssueResult',
  version: 1,
  requestId: requestIdOf('shop-a', '1001', `user-${i}`, i),
  tenant: 'shop-a',
  eventId: '1001',
  userId: `user-${i}`,
  ticket: i,
  uid: 'uid-1',
  outcome: 'ISSUED',
  coupon: {
    code: `CODE${i}`,
    serial: i,
    discount: { type: 'percent', percent: 10 },
    validFrom: '2026-11-27T10:00:00.000Z',
    validUntil: '2026-11-28T10:00:00.000Z',
    issuedAt: '2026-11-27T10:00:01.000Z',
  },
  remaining: 90,
  stock: 100,
  decidedAt: '2026-11-27T10:00:01.000Z',
  ...over,
});

describe('batch records', () => {
  it('round-trips an admission batch: one request per item, the policy shared', () => {
    const records = encodeIssueRequests(header, items(3));
    expect(records).toHaveLength(1);
    expect(records[0]!.key).toBe(messageKeyOf('shop-a', '1001', 'user-1'));
    const decoded = decodeIssueRequests(records[0]!.value);
    expect(decoded.version).toBe(2);
    expect(decoded.dead).toEqual([]);
    expect(decoded.values.map((r) => r.userId)).toEqual(['user-1', 'user-2', 'user-3']);
    expect(decoded.values[1]).toEqual({
      type: 'IssueRequest',
      version: 1,
      requestId: requestIdOf('shop-a', '1001', 'user-2', 2),
      tenant: 'shop-a',
      eventId: '1001',
      uid: 'uid-1',
      userId: 'user-2',
      ticket: 2,
      admittedAt: header.admittedAt,
      policy,
    });
    expect(decoded.values[0]!.policy).toBe(decoded.values[2]!.policy);
  });

  it('splits at the item limit and the byte limit, each record a whole batch', () => {
    const byCount = encodeIssueRequests(header, items(2_500), { maxItems: 1_000, maxBytes: 1e9 });
    expect(byCount.map((r) => decodeIssueRequests(r.value).values.length)).toEqual([
      1_000, 1_000, 500,
    ]);
    // Each record is keyed by its own first shopper, so batches spread over partitions.
    expect(byCount.map((r) => r.key)).toEqual([
      messageKeyOf('shop-a', '1001', 'user-1'),
      messageKeyOf('shop-a', '1001', 'user-1001'),
      messageKeyOf('shop-a', '1001', 'user-2001'),
    ]);
    const limit = 4_096;
    const byBytes = encodeIssueRequests(header, items(200), { maxItems: 1_000, maxBytes: limit });
    expect(byBytes.length).toBeGreaterThan(1);
    for (const record of byBytes) expect(record.value.length).toBeLessThanOrEqual(limit);
    const all = byBytes.flatMap((r) => decodeIssueRequests(r.value).values.map((v) => v.ticket));
    expect(all).toEqual(items(200).map((i) => i.ticket));
  });

  it('keeps an item bigger than the limit alone in its record instead of dropping it', () => {
    const records = encodeBatchRecords({ type: 'X' }, ['a', 'b'.repeat(100), 'c'], {
      maxItems: 10,
      maxBytes: 40,
    });
    expect(records.map((r) => (JSON.parse(r.toString()) as { items: string[] }).items)).toEqual([
      ['a'],
      ['b'.repeat(100)],
      ['c'],
    ]);
    expect(encodeBatchRecords({ type: 'X' }, [])).toEqual([]);
  });

  it('reads a batch with a bad item: the others are read, the bad one is dead alone', () => {
    const record = JSON.parse(encodeIssueRequests(header, items(3))[0]!.value.toString()) as {
      items: unknown[];
    };
    record.items[1] = { requestId: 'x', userId: '', ticket: -1 };
    const decoded = decodeIssueRequests(Buffer.from(JSON.stringify(record)));
    expect(decoded.values.map((r) => r.userId)).toEqual(['user-1', 'user-3']);
    expect(decoded.dead).toHaveLength(1);
    const dead = decoded.dead[0]!;
    expect(dead.index).toBe(1);
    expect(dead.error.code).toBe('INVALID_MESSAGE');
    expect(dead.error.message).toMatch(/item 1 is invalid: items\[1\]\.userId: must not be empty/);
    // Its payload is the header with that item alone: a batch of one, to produce again.
    const kept = JSON.parse(dead.payload.toString()) as { type: string; items: unknown[] };
    expect(kept.type).toBe('IssueRequestBatch');
    expect(kept.items).toEqual([{ requestId: 'x', userId: '', ticket: -1 }]);
  });

  it('refuses a whole record whose header or item list is bad, or whose version is newer', () => {
    const bad = (over: object) =>
      codeOf(() =>
        decodeIssueRequests(Buffer.from(JSON.stringify({ ...header, items: items(2), ...over }))),
      );
    expect(bad({ policy: { ...policy, stock: -1 } })).toBe('INVALID_MESSAGE');
    expect(bad({ items: [] })).toBe('INVALID_MESSAGE');
    expect(bad({ items: 'none' })).toBe('INVALID_MESSAGE');
    expect(bad({ items: items(1_001) })).toBe('INVALID_MESSAGE');
    expect(bad({ version: 3 })).toBe('UNSUPPORTED_MESSAGE_VERSION');
    expect(bad({ type: 'Something' })).toBe('INVALID_MESSAGE');
    expect(bad({ type: 'Something', version: 7 })).toBe('UNSUPPORTED_MESSAGE_VERSION');
    expect(codeOf(() => decodeIssueRequests(Buffer.from('[1,2')))).toBe('INVALID_MESSAGE');
  });

  it('still reads v1 records, one shopper each', () => {
    const v1 = {
      type: 'IssueRequest' as const,
      version: 1 as const,
      requestId: requestIdOf('shop-a', '1001', 'user-9', 9),
      tenant: 'shop-a',
      eventId: '1001',
      userId: 'user-9',
      ticket: 9,
      admittedAt: header.admittedAt,
      policy,
    };
    const record = encodeIssueRequestV1(v1);
    expect(record.key).toBe(messageKeyOf('shop-a', '1001', 'user-9'));
    expect(decodeIssueRequests(record.value)).toEqual({ version: 1, values: [v1], dead: [] });
    const r = result(5);
    expect(decodeIssueResults(encodeIssueResultV1(r).value)).toEqual({
      version: 1,
      values: [r],
      dead: [],
    });
  });

  it('packs results one batch per sale and decision, and reads them back exactly', () => {
    const results = [
      result(1),
      result(2, { outcome: 'SOLD_OUT', coupon: undefined, remaining: 90 }),
      result(3, { decidedAt: '2026-11-27T09:59:00.000Z' }),
      result(4, { remaining: 80 }),
      result(5, { uid: 'uid-2' }),
      result(6, { outcome: 'REJECTED', coupon: undefined, reason: 'COUPON_WINDOW_ENDED' }),
    ].map((r) => {
      if (r.coupon === undefined) delete r.coupon;
      return r;
    });
    const records = encodeIssueResults(results);
    expect(records).toHaveLength(3);
    const back = records.flatMap((r) => decodeIssueResults(r.value).values);
    const byId = (list: IssueResult[]) =>
      [...list].sort((a, b) => a.requestId.localeCompare(b.requestId));
    expect(byId(back)).toEqual(byId(results));
    const first = JSON.parse(records[0]!.value.toString()) as {
      decidedAt: string;
      items: { decidedAt?: string }[];
    };
    // decidedAt travels per item only where it is not the batch's.
    expect(first.items.map((i) => i.decidedAt)).toEqual([
      undefined,
      undefined,
      '2026-11-27T09:59:00.000Z',
      undefined,
    ]);
  });

  it('dead-letters a result item that breaks the ISSUED-has-a-coupon rule, alone', () => {
    const record = JSON.parse(encodeIssueResults([result(1), result(2)])[0]!.value.toString()) as {
      items: Record<string, unknown>[];
    };
    delete record.items[0]!.coupon;
    const decoded = decodeIssueResults(Buffer.from(JSON.stringify(record)));
    expect(decoded.values.map((r) => r.userId)).toEqual(['user-2']);
    expect(decoded.dead.map((d) => d.index)).toEqual([0]);
    expect(decoded.dead[0]!.error.message).toMatch(/carries its coupon/);
  });
});
