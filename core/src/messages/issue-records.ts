import { ErrorCode, RediclaimError } from '../errors.js';
import { messageKeyOf } from '../identity.js';
import {
  DEFAULT_BATCH_LIMITS,
  decodeBatchRecord,
  encodeBatchRecords,
  singleItemRecord,
  type BatchLimits,
} from './batch-record.js';
import { checkVersion, parseRecord, validated } from './codec.js';
import {
  issueRequestBatchHeaderSchema,
  issueRequestItemSchema,
  issueRequestSchema,
  requestOfItem,
  type IssueRequest,
  type IssueRequestBatchHeader,
  type IssueRequestItem,
} from './issue-request.js';
import {
  issueResultBatchHeaderSchema,
  issueResultItemSchema,
  issueResultSchema,
  resultBatchHeaderOf,
  resultItemOf,
  resultOfItem,
  type IssueResult,
} from './issue-result.js';

/**
 * The records of the two issue topics, both versions: v1 (one shopper per record, read
 * for as long as CONTRACTS.md says) and v2 (one batch per record, what this build writes).
 */

/** A Kafka record to send: its key, value and headers (the traceparent, a signature). */
export interface OutgoingRecord {
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
}

/** One item of a batch that could not be read: it alone goes to the dead letters. */
export interface DeadItem {
  index: number;
  error: RediclaimError;
  /** The record's header with this item alone. */
  payload: Buffer;
}

export interface DecodedRecord<T> {
  /** The record's version: 1 (one value) or 2 (a batch). */
  version: 1 | 2;
  values: T[];
  dead: DeadItem[];
}

/** Which version a record of `type`'s family is, or why it cannot be read. */
function versionOfRecord(parsed: unknown, v1Type: string, v2Type: string, what: string): 1 | 2 {
  const type = (parsed as { type?: unknown } | null)?.type;
  if (type === v2Type) {
    checkVersion(parsed, what, [2]);
    return 2;
  }
  if (type === v1Type) {
    checkVersion(parsed, what, [1]);
    return 1;
  }
  checkVersion(parsed, what, [1, 2]);
  throw new RediclaimError(
    ErrorCode.InvalidMessage,
    `${what} is invalid: type: must be "${v1Type}" or "${v2Type}", got ${JSON.stringify(type)}`,
  );
}

function deadItems(
  parsed: unknown,
  items: readonly { ok: boolean; index: number; error?: RediclaimError; raw?: unknown }[],
): DeadItem[] {
  const dead: DeadItem[] = [];
  for (const item of items) {
    if (item.ok) continue;
    dead.push({
      index: item.index,
      error: item.error!,
      payload: singleItemRecord(parsed, item.raw),
    });
  }
  return dead;
}

/**
 * The error for a request whose requestId is not `expected` (requestIdOf of its tenant,
 * event, user and ticket): the idempotency key must mean one admission, or two
 * admissions could share one decision.
 */
export function requestIdMismatch(request: IssueRequest, expected: string): RediclaimError {
  return new RediclaimError(
    ErrorCode.InvalidMessage,
    `issue request is invalid: requestId: must be "${expected}" (tenant/eventId/userId/ticket), got "${request.requestId}"`,
  );
}

/**
 * Decodes a record of the requests topic into requests. A record that cannot be read
 * as a whole (not JSON, a bad header, an unknown version) throws; a bad item of a batch
 * is returned in `dead` and the others are read.
 */
export function decodeIssueRequests(
  bytes: Uint8Array | null | undefined,
  what = 'issue request',
): DecodedRecord<IssueRequest> {
  const parsed = parseRecord(bytes, what);
  if (versionOfRecord(parsed, 'IssueRequest', 'IssueRequestBatch', what) === 1) {
    return { version: 1, values: [validated(issueRequestSchema, parsed, what)], dead: [] };
  }
  return decodeIssueRequestBatch(parsed, what);
}

/** A parsed v2 request record: the header once, each item on its own. */
export function decodeIssueRequestBatch(
  parsed: unknown,
  what: string,
): DecodedRecord<IssueRequest> {
  const batch = decodeBatchRecord(
    issueRequestBatchHeaderSchema,
    issueRequestItemSchema,
    parsed,
    what,
  );
  const values: IssueRequest[] = [];
  for (const item of batch.items) if (item.ok) values.push(requestOfItem(batch.header, item.value));
  return { version: 2, values, dead: deadItems(parsed, batch.items) };
}

/** Decodes a record of the results topic into results (see decodeIssueRequests). */
export function decodeIssueResults(
  bytes: Uint8Array | null | undefined,
  what = 'issue result',
): DecodedRecord<IssueResult> {
  const parsed = parseRecord(bytes, what);
  if (versionOfRecord(parsed, 'IssueResult', 'IssueResultBatch', what) === 1) {
    return { version: 1, values: [validated(issueResultSchema, parsed, what)], dead: [] };
  }
  const batch = decodeBatchRecord(
    issueResultBatchHeaderSchema,
    issueResultItemSchema,
    parsed,
    what,
  );
  const values: IssueResult[] = [];
  for (const item of batch.items) if (item.ok) values.push(resultOfItem(batch.header, item.value));
  return { version: 2, values, dead: deadItems(parsed, batch.items) };
}

/**
 * One admission batch as v2 records (split at the limits). Keyed by the event and the
 * batch's first shopper: an event's batches spread over the partitions, hence over
 * issuers, like its shoppers did one record each.
 */
export function encodeIssueRequests(
  header: IssueRequestBatchHeader,
  items: readonly IssueRequestItem[],
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): OutgoingRecord[] {
  return keyed(header.tenant, header.eventId, items, limits, (part) =>
    encodeBatchRecords(header, part, limits),
  );
}

/** A request as its v1 record (one shopper), as gates before v2 sent them. */
export function encodeIssueRequestV1(request: IssueRequest): OutgoingRecord {
  return {
    key: messageKeyOf(request.tenant, request.eventId, request.userId),
    value: Buffer.from(JSON.stringify(request)),
  };
}

/** A result as its v1 record: the answer to a v1 request, for gates that read only v1. */
export function encodeIssueResultV1(result: IssueResult): OutgoingRecord {
  return {
    key: messageKeyOf(result.tenant, result.eventId, result.userId),
    value: Buffer.from(JSON.stringify(result)),
  };
}

/**
 * Results as v2 records: one batch per sale and decision (same stock and remaining),
 * in the order given, split at the limits.
 */
export function encodeIssueResults(
  results: readonly IssueResult[],
  limits: BatchLimits = DEFAULT_BATCH_LIMITS,
): OutgoingRecord[] {
  const groups = new Map<string, IssueResult[]>();
  for (const result of results) {
    const id = `${result.tenant}/${result.eventId}/${result.uid ?? ''}/${result.stock}/${result.remaining}`;
    let group = groups.get(id);
    if (!group) groups.set(id, (group = []));
    group.push(result);
  }
  const out: OutgoingRecord[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const header = resultBatchHeaderOf(first);
    const items = group.map((r) => resultItemOf(r, header));
    out.push(
      ...keyed(first.tenant, first.eventId, items, limits, (part) =>
        encodeBatchRecords(header, part, limits),
      ),
    );
  }
  return out;
}

/** Splits items into records and keys each by its first shopper. */
function keyed<I extends { userId: string }>(
  tenant: string,
  eventId: string,
  items: readonly I[],
  limits: BatchLimits,
  encode: (part: readonly I[]) => Buffer[],
): OutgoingRecord[] {
  const out: OutgoingRecord[] = [];
  // Chunks by count first so each record's key is its own first shopper; the encoder
  // splits further by bytes only when items are unusually large.
  for (let start = 0; start < items.length; start += limits.maxItems) {
    const part = items.slice(start, start + limits.maxItems);
    for (const value of encode(part))
      out.push({ key: messageKeyOf(tenant, eventId, part[0]!.userId), value });
  }
  return out;
}
