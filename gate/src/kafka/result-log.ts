import type { Logger } from 'pino';
import {
  TRACEPARENT_HEADER,
  parseTraceparent,
  type HeaderValue,
  type IssueResult,
} from '@rediclaim/core';
import type { RecordResultReply } from '../redis/script-replies.js';

/** The results one record of the results topic held: where they are in the batch's list. */
export interface ResultRecordSpan {
  partition: number;
  offset: string;
  /** The record's traceparent header, as received (absent from issuers before traces). */
  traceparent: HeaderValue;
  /** Its results are results[from .. from + count). */
  from: number;
  count: number;
}

/** The span of results `message` brought, its results appended to a list of `from` before. */
export function resultRecordSpan(
  partition: number,
  message: { offset: string; headers?: Record<string, HeaderValue> },
  from: number,
  count: number,
): ResultRecordSpan {
  return {
    partition,
    offset: message.offset,
    traceparent: message.headers?.[TRACEPARENT_HEADER],
    from,
    count,
  };
}

/**
 * One debug line per result record recorded, with the trace its issuer answered in (the
 * admission batch's traceId): the last line of a shopper's story, found with the gate's
 * "admission batch sent" and the issuer's "batch decided and published".
 */
export function logRecordedResults(
  logger: Logger,
  spans: readonly ResultRecordSpan[],
  results: readonly IssueResult[],
  replies: readonly RecordResultReply[],
): void {
  if (!logger.isLevelEnabled('debug')) return;
  for (const span of spans) {
    if (span.count === 0) continue;
    const first = results[span.from]!;
    const last = results[span.from + span.count - 1]!;
    let recorded = 0;
    for (let i = span.from; i < span.from + span.count; i++)
      if (replies[i] === 'recorded' || replies[i] === 'former') recorded++;
    const trace = parseTraceparent(span.traceparent);
    logger.debug(
      {
        ...(trace
          ? { traceId: trace.traceId }
          : span.traceparent === undefined
            ? {}
            : { badTraceparent: String(span.traceparent).slice(0, 120) }),
        tenant: first.tenant,
        event: first.eventId,
        count: span.count,
        recorded,
        ignored: span.count - recorded,
        firstUserId: first.userId,
        lastUserId: last.userId,
        partition: span.partition,
        offset: span.offset,
      },
      'results recorded',
    );
  }
}
