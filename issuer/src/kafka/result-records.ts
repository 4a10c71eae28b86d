import {
  TRACEPARENT_HEADER,
  childTrace,
  encodeIssueResultV1,
  encodeIssueResults,
  formatTraceparent,
  type IssueResult,
  type OutgoingRecord,
  type TraceContext,
} from '@rediclaim/core';

/** The requestIds of a batch by the record version they came in. */
export interface AnswerVersions {
  v1: ReadonlySet<string>;
  v2: ReadonlySet<string>;
}

/**
 * The records that answer a batch's results: v2 batches (one per sale and decision) for
 * requests that came in v2 records, one v1 record per result for those that came in v1
 * (their gate may read nothing newer, during a rolling upgrade). A request that came
 * both ways is answered both ways; the gate records a result idempotently.
 */
export function resultRecords(
  results: readonly IssueResult[],
  answer: AnswerVersions,
): OutgoingRecord[] {
  if (answer.v1.size === 0) return encodeIssueResults(results);
  const v2: IssueResult[] = [];
  const v1: OutgoingRecord[] = [];
  for (const result of results) {
    if (answer.v1.has(result.requestId)) v1.push(encodeIssueResultV1(result));
    if (answer.v2.has(result.requestId)) v2.push(result);
  }
  return [...encodeIssueResults(v2), ...v1];
}

/**
 * The answers to one request record's requests, in its trace: each record gets a
 * traceparent header naming a child span of the request record's (same traceId), so the
 * gate that records them logs the traceId its admission logged. This is why results of
 * several request records are never merged into one record: a record has one parent.
 * It costs nothing the gate's batching did not already pay (one record per admission
 * batch in, one per admission batch and decision out).
 */
export function tracedRecords(records: OutgoingRecord[], parent: TraceContext): OutgoingRecord[] {
  const traceparent = formatTraceparent(childTrace(parent));
  for (const record of records)
    record.headers = { ...record.headers, [TRACEPARENT_HEADER]: traceparent };
  return records;
}
