import type { EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import {
  SIGNATURE_HEADER,
  checkTrusted,
  deadLetterOf,
  decodeIssueResults,
  eventKeys,
  type DeadLetter,
  type EventKeys,
  type IssueResult,
  type MessageSource,
  type RecordTrust,
} from '@rediclaim/core';
import type { EventsStore } from '../config/events-store.js';
import type { GateMetrics } from '../metrics.js';
import type { GateScripts, RecordResultArgs } from '../redis/gate-scripts.js';
import type { RecordResultReply } from '../redis/script-replies.js';
import type { ChangePublisher } from '../push/change-publisher.js';
import { sendDeadLetters } from './dead-letters.js';
import { GroupConsumer, type GroupConsumerOptions } from './group-consumer.js';
import { logRecordedResults, resultRecordSpan, type ResultRecordSpan } from './result-log.js';

export interface ResultsConsumerOptions extends GroupConsumerOptions {
  deadLetterTopic: string;
  /** Retention of results for events not in the config. */
  defaultRetentionSeconds: number;
  /** Most results one recordResults script call records (RESULTS_RECORD_CHUNK). */
  recordChunk: number;
  /** Which result records are recorded: signed by one of `keys`, or unsigned too when optional. */
  trust: RecordTrust;
}

/**
 * Consumes the issuer's results (group rediclaim-gate: each result is handled by one
 * replica) and records them in Redis. A record holds one result (v1, from issuers before
 * batches, or answering a v1 request) or a batch of one sale's results (v2); every
 * result of a Kafka batch is recorded with one recordResults script call per event and
 * chunk, all pipelined. Recording is idempotent per result, so a redelivered batch
 * (rebalance, crash before the commit) changes nothing. A record that cannot be read
 * goes to the dead-letter topic with its reason (an unsigned or forged one among them:
 * the issuers sign theirs, core record-signature), and so does a bad item of a batch on
 * its own (its index in the letter's source) while the others are recorded: neither
 * ever stops the consumer. At debug, each result record recorded is a line with the
 * traceId of its traceparent header (result-log.ts): the admission batch's trace.
 *
 * Kafka going away never ends it (GroupConsumer). Out of its group, results wait in
 * Kafka and their shoppers keep reading PROCESSING.
 */
export class ResultsConsumer extends GroupConsumer {
  constructor(
    private readonly deps: {
      kafka: Kafka;
      producer: Producer;
      scripts: GateScripts;
      events: EventsStore;
      logger: Logger;
      metrics: GateMetrics;
      /** Tells every replica's push streams whose outcome is recorded. */
      changes: ChangePublisher;
    },
    private readonly options: ResultsConsumerOptions,
  ) {
    super(
      {
        kafka: deps.kafka,
        logger: deps.logger,
        name: 'results consumer',
        waiting: 'results',
        onJoined: (joined) => deps.metrics.resultsConsumerUp.set(joined ? 1 : 0),
      },
      options,
    );
  }

  protected async handleBatch({
    batch,
    resolveOffset,
    heartbeat,
  }: EachBatchPayload): Promise<void> {
    const results: IssueResult[] = [];
    const dead: DeadLetter[] = [];
    const spans: ResultRecordSpan[] = [];
    const now = new Date();
    for (const message of batch.messages) {
      const source: MessageSource = {
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        key: message.key,
      };
      try {
        // Before anything is parsed: a forged record costs one HMAC and is never recorded.
        checkTrusted(message.value, message.headers?.[SIGNATURE_HEADER], this.options.trust);
        const decoded = decodeIssueResults(
          message.value,
          `issue result ${batch.topic}/${batch.partition}@${message.offset}`,
        );
        spans.push(
          resultRecordSpan(batch.partition, message, results.length, decoded.values.length),
        );
        for (const result of decoded.values) results.push(result);
        for (const item of decoded.dead)
          dead.push(
            deadLetterOf(item.error, { ...source, index: item.index }, item.payload, 'gate', now),
          );
      } catch (error) {
        dead.push(deadLetterOf(error, source, message.value, 'gate', now));
      }
    }
    if (dead.length > 0) await this.sendDeadLetters(dead);
    // A Redis failure fails the batch: kafkajs redelivers it, recording is idempotent.
    if (results.length > 0)
      logRecordedResults(this.deps.logger, spans, results, await this.record(results));
    for (const message of batch.messages) resolveOffset(message.offset);
    await heartbeat();
  }

  private async sendDeadLetters(dead: readonly DeadLetter[]): Promise<void> {
    const { producer, metrics, logger } = this.deps;
    await sendDeadLetters(producer, this.options.deadLetterTopic, dead, logger, 'result');
    metrics.resultsIgnored.inc({ reason: 'invalid' }, dead.length);
  }

  /** Records the results; how each was taken, in their order. */
  private async record(results: readonly IssueResult[]): Promise<RecordResultReply[]> {
    const { scripts, metrics } = this.deps;
    const calls = results.map((result) => this.callOf(result));
    const replies = await scripts.recordResults(calls, this.options.recordChunk);
    const now = Date.now();
    const decided = new Map<string, { keys: EventKeys; userIds: string[]; soldOut: boolean }>();
    replies.forEach((reply, i) => {
      const result = results[i]!;
      if (reply === 'recorded' || reply === 'former') {
        metrics.countResult(result.tenant, result.eventId, result.outcome);
        metrics.resultLag.observe(Math.max(0, now - Date.parse(result.decidedAt)) / 1000);
        const { keys } = calls[i]!;
        let entry = decided.get(keys.changes);
        if (!entry) decided.set(keys.changes, (entry = { keys, userIds: [], soldOut: false }));
        entry.userIds.push(result.userId);
        entry.soldOut ||= result.outcome === 'SOLD_OUT' || result.remaining === 0;
      } else {
        metrics.resultsIgnored.inc({ reason: reply });
      }
    });
    for (const { keys, userIds, soldOut } of decided.values())
      this.deps.changes.decided(keys, userIds, soldOut);
    return replies;
  }

  /** Where and how one result is recorded: its event's keys (known or not) and the args. */
  private callOf(result: IssueResult): { keys: EventKeys; args: RecordResultArgs } {
    const event = this.deps.events.get(result.eventId);
    const known = event !== undefined && event.tenant === result.tenant;
    // Header fields first: the scripts read them without decoding (result_header.lua).
    const stored = JSON.stringify({
      ticket: result.ticket,
      status: result.outcome,
      coupon: result.coupon,
      reason: result.reason,
      decidedAt: result.decidedAt,
    });
    return {
      keys: known ? event.keys : eventKeys(result.tenant, result.eventId),
      args: {
        userId: result.userId,
        ticket: result.ticket,
        outcome: result.outcome,
        resultJson: stored,
        stock: result.stock,
        remaining: result.remaining,
        retentionSeconds: known ? event.retentionSeconds : this.options.defaultRetentionSeconds,
        // The request's own sale when it named one: the answer to a request of a sale
        // since deleted or replaced is kept with that sale, for its holder.
        uid: result.uid ?? (known ? event.uid : ''),
      },
    };
  }
}
