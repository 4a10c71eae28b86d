import { z } from 'zod';
import {
  ErrorCode,
  RediclaimError,
  check,
  checkVersion,
  deadLetterOf,
  decodeBatchRecord,
  describeProblems,
  issuePolicySchema,
  issueRequestBatchHeaderSchema,
  issueRequestItemSchema,
  issueRequestSchema,
  isRediclaimError,
  parseRecord,
  requestIdMismatch,
  requestIdOf,
  requestOfItem,
  SIGNATURE_HEADER,
  checkTrusted,
  TRACEPARENT_HEADER,
  singleItemRecord,
  traceOfRecord,
  validated,
  type DeadLetter,
  type HeaderValue,
  type IssuePolicy,
  type RecordTrust,
  type IssueRequest,
  type TraceContext,
} from '@rediclaim/core';

const SERVICE_NAME = 'rediclaim-issuer';

/** The parts of a Kafka message decoding needs (kafkajs' KafkaMessage has them). */
export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
  headers?: Record<string, HeaderValue>;
}

/** Which request records are taken: signed by one of `keys`, or unsigned too when optional. */
export type RequestTrust = RecordTrust;

/** One record's requests and dead letters; `version` says how to answer them. */
export interface DecodedRecord {
  version: 1 | 2;
  requests: IssueRequest[];
  deadLetters: DeadLetter[];
  /**
   * The trace the record belongs to: its traceparent header's, else a new one (none or
   * a malformed one never costs the record anything; `malformedTrace` says which).
   */
  trace: TraceContext;
  malformedTrace?: string;
}

const WHAT = 'issue request';
const envelopeSchema = issueRequestSchema.extend({ policy: z.unknown() });
const MAX_CACHED_POLICIES = 1_024;
const policies = new Map<string, IssuePolicy>();

/** Deep equality of two parsed JSON values. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (k !== kb[i]) return false;
    if (!sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
      return false;
  }
  return true;
}

let last: { raw: unknown; policy: IssuePolicy } | undefined;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Validates a policy snapshot once per distinct content: every request of an event
 * carries the same one, and checking it is most of the cost of decoding a request.
 * Validation is a pure function of the parsed JSON, which JSON.stringify keys exactly.
 * The shared result is frozen.
 */
function validPolicy(raw: unknown): IssuePolicy {
  // Consecutive requests nearly always carry the same snapshot: compare with the last
  // one before serialising a cache key.
  if (last && sameJson(raw, last.raw)) return last.policy;
  const key = JSON.stringify(raw);
  const cached = policies.get(key);
  if (cached) {
    last = { raw, policy: cached };
    return cached;
  }
  const result = check(issuePolicySchema, raw, ['policy']);
  if (!result.ok) {
    throw new RediclaimError(
      ErrorCode.InvalidMessage,
      `${WHAT} is invalid: ${describeProblems(result.problems)}`,
      { problems: result.problems },
    );
  }
  if (policies.size >= MAX_CACHED_POLICIES) policies.clear();
  policies.set(key, deepFreeze(result.value));
  last = { raw, policy: result.value };
  return result.value;
}

/** A v1 record's parsed JSON as its request, the policy checked through validPolicy. */
function requestOfV1(parsed: unknown): IssueRequest {
  let envelope: z.output<typeof envelopeSchema>;
  try {
    envelope = validated(envelopeSchema, parsed, WHAT);
  } catch (error) {
    // A broken envelope: let the full schema name every problem, the policy's too.
    if (isRediclaimError(error, ErrorCode.InvalidMessage) && error.details?.problems) {
      return validated(issueRequestSchema, parsed, WHAT);
    }
    throw error;
  }
  // Assigning, not spreading: the parsed object is ours, and object spread is slow in V8.
  const request = envelope as IssueRequest;
  request.policy = validPolicy(envelope.policy);
  return request;
}

/**
 * Decodes and validates a v1 issue request exactly as core's decodeMessage with
 * issueRequestSchema does (same errors, same dead letters), but checks the policy
 * snapshot through validPolicy: every v1 record carries its own copy.
 */
export function decodeIssueRequest(bytes: Buffer | null): IssueRequest {
  const parsed = parseRecord(bytes, WHAT);
  checkVersion(parsed, WHAT, [1]);
  return requestOfV1(parsed);
}

/** The requestId check: the idempotency key must mean one admission. */
function checkRequestId(request: IssueRequest): RediclaimError | undefined {
  const expected = requestIdOf(request.tenant, request.eventId, request.userId, request.ticket);
  return request.requestId === expected ? undefined : requestIdMismatch(request, expected);
}

/**
 * Decodes one record of the requests topic, either version, into its requests and dead
 * letters. A record that cannot be read as a whole (unsigned or signed with no key of
 * `trust`, not UTF-8 JSON, a bad header, a version this build does not read) is one dead
 * letter; in a v2 batch, an item of the
 * wrong shape or with a requestId that is not the one requestIdOf gives is a dead
 * letter alone (with its index, its payload the header and that item), and the rest
 * are decided and answered.
 */
export function decodeRecord(
  message: RawMessage,
  topic: string,
  partition: number,
  now: Date,
  trust: RequestTrust,
): DecodedRecord {
  const source = { topic, partition, offset: message.offset, key: message.key };
  const traced = traceOfRecord(message.headers?.[TRACEPARENT_HEADER]);
  const trace =
    traced.malformed === undefined
      ? { trace: traced.trace }
      : { trace: traced.trace, malformedTrace: traced.malformed };
  const dead = (error: unknown, payload: Uint8Array | null, index?: number): DeadLetter =>
    deadLetterOf(
      error,
      index === undefined ? source : { ...source, index },
      payload,
      SERVICE_NAME,
      now,
    );
  try {
    // Before anything is parsed: a forged record costs one HMAC, and is never decided.
    checkTrusted(message.value, message.headers?.[SIGNATURE_HEADER], trust);
    const parsed = parseRecord(message.value, WHAT);
    if ((parsed as { type?: unknown } | null)?.type !== 'IssueRequestBatch') {
      checkVersion(parsed, WHAT, [1]);
      const request = requestOfV1(parsed);
      const mismatch = checkRequestId(request);
      if (mismatch) throw mismatch;
      return { version: 1, requests: [request], deadLetters: [], ...trace };
    }
    checkVersion(parsed, WHAT, [2]);
    const batch = decodeBatchRecord(
      issueRequestBatchHeaderSchema,
      issueRequestItemSchema,
      parsed,
      WHAT,
    );
    const raw = (parsed as { items: unknown[] }).items;
    const requests: IssueRequest[] = [];
    const deadLetters: DeadLetter[] = [];
    for (const item of batch.items) {
      const request = item.ok ? requestOfItem(batch.header, item.value) : undefined;
      const error = item.ok ? checkRequestId(request!) : item.error;
      if (error)
        deadLetters.push(dead(error, singleItemRecord(parsed, raw[item.index]), item.index));
      else requests.push(request!);
    }
    return { version: 2, requests, deadLetters, ...trace };
  } catch (error) {
    return { version: 1, requests: [], deadLetters: [dead(error, message.value)], ...trace };
  }
}
