import { randomBytes } from 'node:crypto';
import type { HeaderValue } from './record-signature.js';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) in Kafka record headers, so
 * that one shopper's admission (gate), decision (issuer) and recorded result (gate) can
 * be found together in the logs: every record of the pipeline carries a `traceparent`
 * header, and every service logs the trace id with what it did with the record. No
 * tracing SDK: the header is the standard one, so a collector added later reads it.
 *
 *   traceparent = version "-" trace-id "-" parent-id "-" trace-flags
 *                 00      - 32 lower hex - 16 lower hex - 2 lower hex
 */

/** The record header that carries the trace context. */
export const TRACEPARENT_HEADER = 'traceparent';

export interface TraceContext {
  /** 32 lowercase hex digits, never all zero: the whole story of one admission batch. */
  traceId: string;
  /** 16 lowercase hex digits, never all zero: the span that produced the record. */
  parentId: string;
  /** 2 lowercase hex digits; bit 0 is "sampled". */
  flags: string;
}

/** Random bytes for ids; node:crypto's randomBytes unless a test gives its own. */
export type RandomBytes = (size: number) => Uint8Array;

const HEX = /^[0-9a-f]+$/;
const allZero = (hex: string) => /^0+$/.test(hex);
const hexOf = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * A traceparent value as a TraceContext, or undefined when it is not a valid one (the
 * receiver then starts a new trace: a bad header never costs the record itself).
 *
 * As the spec says: version 00 is exactly 55 characters; version ff is invalid; a later
 * version is read for its first four fields when what follows them is nothing or starts
 * with "-" (a future version may add fields); hex is lowercase only; an all-zero trace
 * id or parent id is invalid. A header given more than once is invalid.
 */
export function parseTraceparent(header: HeaderValue | null): TraceContext | undefined {
  if (header === undefined || header === null) return undefined;
  if (Array.isArray(header)) {
    if (header.length !== 1) return undefined;
    header = header[0]!;
  }
  const text = typeof header === 'string' ? header : header.toString('utf8');
  if (text.length < 55) return undefined;
  const version = text.slice(0, 2);
  if (!HEX.test(version) || version === 'ff') return undefined;
  if (version === '00' && text.length !== 55) return undefined;
  if (text.length > 55 && text[55] !== '-') return undefined;
  if (text[2] !== '-' || text[35] !== '-' || text[52] !== '-') return undefined;
  const traceId = text.slice(3, 35);
  const parentId = text.slice(36, 52);
  const flags = text.slice(53, 55);
  if (!HEX.test(traceId) || !HEX.test(parentId) || !HEX.test(flags)) return undefined;
  if (allZero(traceId) || allZero(parentId)) return undefined;
  return { traceId, parentId, flags };
}

/** The traceparent value of `trace`: always version 00, the version this build writes. */
export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.parentId}-${trace.flags}`;
}

/** `size` random bytes as hex, drawn again in the 2^-8size case of all zeros. */
function randomId(size: number, random: RandomBytes): string {
  for (;;) {
    const hex = hexOf(random(size));
    if (hex.length !== size * 2)
      throw new RangeError(`random(${size}) gave ${hex.length / 2} bytes`);
    if (!allZero(hex)) return hex;
  }
}

/**
 * A new trace: a random trace id and parent id, flagged sampled (every service logs
 * every record it handles, at debug; nothing is left out for sampling).
 */
export function newTrace(random: RandomBytes = randomBytes): TraceContext {
  return { traceId: randomId(16, random), parentId: randomId(8, random), flags: '01' };
}

/** The context of a record produced while handling one of `parent`'s: same trace, new span. */
export function childTrace(parent: TraceContext, random: RandomBytes = randomBytes): TraceContext {
  return { traceId: parent.traceId, parentId: randomId(8, random), flags: parent.flags };
}

/**
 * The trace a received record belongs to: the one its header names, else a new one (no
 * header: a producer from before traces; a malformed header, said in `malformed`, cut
 * to a length fit for a log line).
 */
export function traceOfRecord(
  header: HeaderValue | null,
  random: RandomBytes = randomBytes,
): { trace: TraceContext; received: boolean; malformed?: string } {
  const trace = parseTraceparent(header);
  if (trace) return { trace, received: true };
  if (header === undefined || header === null) return { trace: newTrace(random), received: false };
  const text = (Array.isArray(header) ? header : [header])
    .map((h) => (typeof h === 'string' ? h : h.toString('utf8')))
    .join(', ');
  return { trace: newTrace(random), received: false, malformed: text.slice(0, 120) };
}
