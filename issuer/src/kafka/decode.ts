import { z } from 'zod';
import {
  ErrorCode,
  RediclaimError,
  check,
  deadLetterOf,
  decodeMessage,
  describeProblems,
  issuePolicySchema,
  issueRequestSchema,
  isRediclaimError,
  requestIdOf,
  type DeadLetter,
  type IssuePolicy,
  type IssueRequest,
} from '@rediclaim/core';

const SERVICE_NAME = 'rediclaim-issuer';

/** The parts of a Kafka message decoding needs (kafkajs' KafkaMessage has them). */
export interface RawMessage {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
}

export type Decoded =
  | { ok: true; request: IssueRequest; offset: string }
  | { ok: false; deadLetter: DeadLetter; offset: string };

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

/**
 * Decodes and validates an issue request exactly as core's decodeMessage with
 * issueRequestSchema does (same errors, same dead letters), but checks the policy
 * snapshot through validPolicy.
 */
export function decodeIssueRequest(bytes: Buffer | null): IssueRequest {
  let envelope: z.output<typeof envelopeSchema>;
  try {
    envelope = decodeMessage(envelopeSchema, bytes, WHAT);
  } catch (error) {
    // A broken envelope: let the full schema name every problem, the policy's too.
    if (isRediclaimError(error, ErrorCode.InvalidMessage) && error.details?.problems) {
      return decodeMessage(issueRequestSchema, bytes, WHAT);
    }
    throw error;
  }
  // Assigning, not spreading: the parsed object is ours, and object spread is slow in V8.
  const request = envelope as IssueRequest;
  request.policy = validPolicy(envelope.policy);
  return request;
}

/**
 * Decodes one issue request, or says why it is a dead letter: not UTF-8 JSON, the wrong
 * shape, a version this build does not read, or a requestId that is not the one
 * requestIdOf gives for its tenant, event, user and ticket (the idempotency key must
 * mean one admission, or two admissions could share one decision).
 */
export function decodeRequest(
  message: RawMessage,
  topic: string,
  partition: number,
  now: Date,
): Decoded {
  try {
    const request = decodeIssueRequest(message.value);
    const expected = requestIdOf(request.tenant, request.eventId, request.userId, request.ticket);
    if (request.requestId !== expected) {
      throw new RediclaimError(
        ErrorCode.InvalidMessage,
        `${WHAT} is invalid: requestId: must be "${expected}" (tenant/eventId/userId/ticket), got "${request.requestId}"`,
      );
    }
    return { ok: true, request, offset: message.offset };
  } catch (error) {
    return {
      ok: false,
      deadLetter: deadLetterOf(
        error,
        { topic, partition, offset: message.offset, key: message.key },
        message.value,
        SERVICE_NAME,
        now,
      ),
      offset: message.offset,
    };
  }
}
