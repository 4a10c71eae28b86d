import type { z } from 'zod';
import { ErrorCode, RediclaimError } from '../errors.js';
import { check, describeProblems } from '../validation.js';
import { validated } from './codec.js';

/**
 * A batch record is one Kafka record holding a header (what every item shares: the
 * event, the sale, the policy or the stock) and `items` (one per shopper). One record
 * per batch instead of one per shopper is what makes the pipeline cheap: Kafka's and
 * kafkajs' cost is per record, not per byte.
 */
export interface BatchLimits {
  /** Most items in one record. */
  maxItems: number;
  /** Most bytes in one record's value: well below the broker's message.max.bytes (1 MiB). */
  maxBytes: number;
}

/**
 * 1,000 items of ~250 bytes (a result with its coupon) fit 256 KiB; a quarter of the
 * broker's default limit leaves room for the record batch kafkajs wraps around it.
 */
export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxItems: 1_000, maxBytes: 256 * 1024 };

/**
 * Encodes `header` and `items` into as few records as the limits allow, each a complete
 * batch (the header repeated). Items are serialised one by one, so a record's size is
 * known exactly, and no record is ever over the limit unless one item alone is (it then
 * travels alone, and the broker's limit is still far).
 */
export function encodeBatchRecords(
  header: Readonly<Record<string, unknown>>,
  items: readonly unknown[],
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): Buffer[] {
  if (items.length === 0) return [];
  const head = JSON.stringify({ ...header, items: [] });
  // '{"type":...,"items":[]}' -> '{"type":...,"items":[' + items + ']}'
  const prefix = head.slice(0, -2);
  const overhead = Buffer.byteLength(prefix) + 2;
  const records: Buffer[] = [];
  let parts: string[] = [];
  let bytes = overhead;
  const flush = () => {
    records.push(Buffer.from(`${prefix}${parts.join(',')}]}`));
    parts = [];
    bytes = overhead;
  };
  for (const item of items) {
    const json = JSON.stringify(item);
    const size = Buffer.byteLength(json) + 1;
    if (parts.length > 0 && (parts.length >= limits.maxItems || bytes + size > limits.maxBytes))
      flush();
    parts.push(json);
    bytes += size;
  }
  flush();
  return records;
}

/** One item of a decoded batch: its value, or why it is dead (it alone). */
export type BatchItem<I> =
  | { ok: true; index: number; value: I }
  | { ok: false; index: number; error: RediclaimError; raw: unknown };

export interface DecodedBatch<H, I> {
  header: H;
  items: BatchItem<I>[];
}

/**
 * Validates a parsed batch record: the header once (a bad header, or `items` not a
 * non-empty list within the limit, fails the whole record: INVALID_MESSAGE), then each
 * item on its own, so one bad item costs only itself.
 */
export function decodeBatchRecord<HS extends z.ZodType, IS extends z.ZodType>(
  headerSchema: HS,
  itemSchema: IS,
  parsed: unknown,
  what: string,
  maxItems = DEFAULT_BATCH_LIMITS.maxItems,
): DecodedBatch<z.output<HS>, z.output<IS>> {
  const record = parsed as { items?: unknown } | null;
  const items = record?.items;
  if (!Array.isArray(items) || items.length === 0 || items.length > maxItems) {
    throw new RediclaimError(
      ErrorCode.InvalidMessage,
      `${what} is invalid: items: must be a list of 1 to ${maxItems} items`,
    );
  }
  const header = validated(headerSchema, parsed, what);
  const decoded: BatchItem<z.output<IS>>[] = new Array(items.length);
  for (let index = 0; index < items.length; index++) {
    const raw: unknown = items[index];
    const result = check(itemSchema, raw, ['items', index]);
    decoded[index] = result.ok
      ? { ok: true, index, value: result.value }
      : {
          ok: false,
          index,
          raw,
          error: new RediclaimError(
            ErrorCode.InvalidMessage,
            `${what} item ${index} is invalid: ${describeProblems(result.problems)}`,
            { problems: result.problems },
          ),
        };
  }
  return { header, items: decoded };
}

/**
 * The bytes a dead item is kept with: the record's header with that item alone, a
 * batch of one that can be produced again once fixed.
 */
export function singleItemRecord(parsed: unknown, raw: unknown): Buffer {
  return Buffer.from(JSON.stringify({ ...(parsed as object), items: [raw] }));
}
