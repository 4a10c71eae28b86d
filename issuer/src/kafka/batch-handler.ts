import type { Batch, EachBatchPayload } from 'kafkajs';
import type { Logger } from 'pino';
import {
  DEFAULT_BATCH_LIMITS,
  backoffDelay,
  newTrace,
  signRecords,
  sleep,
  type BackoffPolicy,
  type DeadLetter,
  type IssueRequest,
  type IssueResult,
  type OutgoingRecord,
  type TraceContext,
} from '@rediclaim/core';
import type { EventDecision } from '../db/decide-event.js';
import { groupByEvent } from '../decisions/grouping.js';
import { AbandonedError, type EventLanes } from '../decisions/lanes.js';
import { errorCode } from '../error-code.js';
import type { IssuerMetrics } from '../metrics.js';
import { decodeRecord, type RequestTrust } from './decode.js';
import type { OffsetTracker } from './offset-tracker.js';
import type { Publisher } from './publisher.js';
import { resultRecords, tracedRecords, type AnswerVersions } from './result-records.js';
import { SignalFanOut } from './signal-fan-out.js';

export interface BatchHandlerDeps {
  lanes: EventLanes<EventDecision>;
  publisher: Publisher;
  tracker: OffsetTracker;
  /** Which request records are decided (signed by a gate's key); its first key signs the results. */
  trust: RequestTrust;
  metrics: IssuerMetrics;
  logger: Logger;
  backoff: BackoffPolicy;
  /** Aborts when stop() begins: no new batch is taken. */
  stopping: AbortSignal;
  /** Aborts when batches in hand must be given up (the shutdown deadline passed). */
  abandon: AbortSignal;
}

/** How often a handler waiting for room heartbeats (kafkajs sends at most one per interval). */
const HEARTBEAT_TICK_MS = 1_000;
/** Results encoded between two turns of the event loop (a full result record). */
const ENCODE_SLICE = DEFAULT_BATCH_LIMITS.maxItems;
/** Requests decoded between two turns of the event loop. */
const YIELD_EVERY = 2_000;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The consumer's eachBatch. Each batch (one partition of one fetch) is decoded (bad
 * messages become dead letters) and handed off: its events' requests go to their lanes'
 * transactions, then one result per request and the dead letters are published, and
 * only then does the tracker commit its offsets, in order. The handler itself returns
 * as soon as the batch is handed off, so the next fetch overlaps with the database.
 * When too much is in flight it waits (heartbeating); if the group rebalances or the
 * issuer stops meanwhile, it returns without taking the batch, which comes again.
 *
 * Each request record's trace (its traceparent header, or a new trace) is continued on
 * the answers: the results of one request record travel in records of their own, whose
 * traceparent is a child of that record's, and the batch's debug line names the traces.
 */
export function createBatchHandler(deps: BatchHandlerDeps) {
  const { metrics, logger, tracker } = deps;
  // Without keys (REQUEST_SIGNATURES=optional, none given) results go unsigned, and only
  // gates with RESULT_SIGNATURES=optional record them.
  const signingKey = deps.trust.keys[0];

  // Waits on the shared signals through one listener each, not one per wait.
  const stopping = new SignalFanOut(deps.stopping);
  const abandoning = new SignalFanOut(deps.abandon);

  async function waitForRoom(payload: EachBatchPayload): Promise<boolean> {
    if (tracker.hasRoom()) return !deps.stopping.aborted;
    const giveUp = stopping.take();
    const beat = setInterval(() => {
      payload.heartbeat().catch(() => giveUp.abort());
      if (payload.isStale()) giveUp.abort();
    }, HEARTBEAT_TICK_MS);
    try {
      return await tracker.waitForRoom(giveUp.signal);
    } finally {
      clearInterval(beat);
      stopping.release(giveUp);
    }
  }

  return async function handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    if (!(await waitForRoom(payload))) return;
    metrics.batchMessages.observe(batch.messages.length);

    const now = new Date();
    const requests: IssueRequest[] = [];
    const deadLetters: DeadLetter[] = [];
    // Requests that came in v1 records are answered in v1 records: the gate that sent
    // them may read nothing newer (a rolling upgrade).
    const answerV1 = new Set<string>();
    const answerV2 = new Set<string>();
    // The trace of each request: its record's (the first record, for a request twice).
    const traces = new Map<string, TraceContext>();
    let decodedSinceYield = 0;
    for (const message of batch.messages) {
      const decoded = decodeRecord(message, batch.topic, batch.partition, now, deps.trust);
      if (decoded.malformedTrace !== undefined)
        logger.debug(
          {
            partition: batch.partition,
            offset: message.offset,
            traceparent: decoded.malformedTrace,
            traceId: decoded.trace.traceId,
          },
          'a request record has a malformed traceparent; it is decided in a new trace',
        );
      for (const request of decoded.requests) {
        requests.push(request);
        (decoded.version === 1 ? answerV1 : answerV2).add(request.requestId);
        if (!traces.has(request.requestId)) traces.set(request.requestId, decoded.trace);
      }
      for (const letter of decoded.deadLetters) {
        deadLetters.push(letter);
        metrics.deadLetters.inc({ reason: letter.reason.code });
        logger.warn(
          {
            partition: batch.partition,
            offset: letter.source.offset,
            index: letter.source.index,
            reason: letter.reason,
            traceId: decoded.trace.traceId,
          },
          'dead letter: an issue request could not be decoded',
        );
      }
      // Decoding many requests takes milliseconds: let the database's answers in
      // meanwhile, so the transaction in flight is not kept waiting (it holds the event).
      decodedSinceYield += decoded.requests.length + 1;
      if (decodedSinceYield >= YIELD_EVERY) {
        decodedSinceYield = 0;
        await yieldToEventLoop();
      }
    }

    metrics.batchRequests.observe(requests.length);
    tracker.track(
      {
        topic: batch.topic,
        partition: batch.partition,
        firstOffset: batch.firstOffset()!,
        lastOffset: batch.lastOffset(),
        // In flight is counted in requests (a v2 record holds many), a record at least.
        messages: Math.max(batch.messages.length, requests.length + deadLetters.length),
      },
      process(batch, requests, traces, { v1: answerV1, v2: answerV2 }, deadLetters),
    );
    payload.resolveOffset(batch.lastOffset());
  };

  /** Decides, publishes; true when the batch may be committed, false when abandoned. */
  async function process(
    batch: Batch,
    requests: IssueRequest[],
    traces: ReadonlyMap<string, TraceContext>,
    answer: AnswerVersions,
    deadLetters: DeadLetter[],
  ): Promise<boolean> {
    const started = Date.now();
    const abandon = abandoning.take();
    try {
      const decided = await Promise.all(
        groupByEvent(requests).map((g) => deps.lanes.submit(g, g.requests, abandon.signal)),
      );
      const byId = new Map<string, IssueResult>();
      for (const results of decided) for (const [id, result] of results) byId.set(id, result);
      const results: IssueResult[] = [];
      for (const request of requests) {
        const result = byId.get(request.requestId);
        if (!result) continue; // a duplicate in this batch, already answered
        byId.delete(request.requestId);
        results.push(result);
      }
      // Encoded a record's worth at a time, with a turn of the event loop in between: the
      // next transaction of the event is already running and holds its row, so its
      // database answers must not wait behind tens of milliseconds of JSON.
      const records: OutgoingRecord[] = [];
      const byTrace = resultsByTrace(results, traces);
      let sinceYield = 0;
      for (const [trace, traced] of byTrace) {
        for (let i = 0; i < traced.length; i += ENCODE_SLICE) {
          if (sinceYield >= ENCODE_SLICE) {
            sinceYield = 0;
            await yieldToEventLoop();
          }
          const slice = traced.slice(i, i + ENCODE_SLICE);
          const sliceRecords = tracedRecords(resultRecords(slice, answer), trace);
          // The gates record only signed results (core record-signature).
          records.push(...(signingKey ? signRecords(sliceRecords, signingKey) : sliceRecords));
          sinceYield += slice.length;
        }
      }

      for (let attempt = 1; ; attempt++) {
        if (abandon.signal.aborted) throw new AbandonedError();
        try {
          await deps.publisher.publish(records, deadLetters);
          break;
        } catch (error) {
          metrics.publishFailures.inc();
          const delay = backoffDelay(attempt, deps.backoff);
          logger.warn(
            {
              partition: batch.partition,
              attempt,
              delayMs: delay,
              code: errorCode(error),
              error: (error as Error).message,
            },
            'publishing results failed; retrying',
          );
          await sleep(delay, abandon.signal);
        }
      }
      metrics.resultsPublished.inc(results.length);
      const lag = BigInt(batch.highWatermark) - BigInt(batch.lastOffset()) - 1n;
      metrics.lag.set(
        { topic: batch.topic, partition: String(batch.partition) },
        Number(lag < 0n ? 0n : lag),
      );
      logger.debug(
        {
          partition: batch.partition,
          firstOffset: batch.firstOffset(),
          lastOffset: batch.lastOffset(),
          messages: batch.messages.length,
          results: results.length,
          outcomes: outcomeCounts(results),
          deadLetters: deadLetters.length,
          traceIds: [...byTrace.keys()].map((t) => t.traceId),
          ms: Date.now() - started,
        },
        'batch decided and published',
      );
      return true;
    } catch (error) {
      metrics.batchesAbandoned.inc();
      if (error instanceof AbandonedError) {
        logger.warn(
          { partition: batch.partition, firstOffset: batch.firstOffset(), reason: error.message },
          'batch abandoned before its offsets were committed; it will be delivered again',
        );
      } else {
        logger.error(
          { partition: batch.partition, firstOffset: batch.firstOffset(), err: error },
          'batch failed; it will be read again',
        );
      }
      return false;
    } finally {
      abandoning.release(abandon);
    }
  }
}

/** Results grouped by their request's trace, in order of first appearance. */
function resultsByTrace(
  results: readonly IssueResult[],
  traces: ReadonlyMap<string, TraceContext>,
): Map<TraceContext, IssueResult[]> {
  const groups = new Map<TraceContext, IssueResult[]>();
  let untraced: TraceContext | undefined;
  for (const result of results) {
    // Every request was read from a record, so has a trace; a new one all the same
    // rather than no answer, should that ever not hold.
    const trace = traces.get(result.requestId) ?? (untraced ??= newTrace());
    let group = groups.get(trace);
    if (!group) groups.set(trace, (group = []));
    group.push(result);
  }
  return groups;
}

/** How many results of each outcome: what the debug line says was decided. */
function outcomeCounts(results: readonly IssueResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const result of results) counts[result.outcome] = (counts[result.outcome] ?? 0) + 1;
  return counts;
}
