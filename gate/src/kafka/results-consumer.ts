import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import {
  deadLetterOf,
  decodeMessage,
  encodeMessage,
  eventKeys,
  issueResultSchema,
  type DeadLetter,
  type EventKeys,
  type IssueResult,
} from '@rediclaim/core';
import type { EventsStore } from '../config/events-store.js';
import type { GateMetrics } from '../metrics.js';
import type { GateScripts, RecordResultArgs } from '../redis/gate-scripts.js';

export interface ResultsConsumerOptions {
  groupId: string;
  topic: string;
  deadLetterTopic: string;
  sessionTimeoutMs: number;
  /** Retention of results for events not in the config. */
  defaultRetentionSeconds: number;
}

/**
 * Consumes the issuer's results (group rediclaim-gate: each result is handled by one
 * replica) and records them in Redis, one recordResult per message of a batch, pipelined.
 * Recording is idempotent, so a redelivered batch (rebalance, crash before the commit)
 * changes nothing. A malformed message goes to the dead-letter topic with its reason and
 * never stops the consumer.
 */
export class ResultsConsumer {
  private consumer: Consumer | undefined;
  private joined = false;
  private crashed: Error | undefined;

  constructor(
    private readonly deps: {
      kafka: Kafka;
      producer: Producer;
      scripts: GateScripts;
      events: EventsStore;
      logger: Logger;
      metrics: GateMetrics;
    },
    private readonly options: ResultsConsumerOptions,
  ) {}

  /** True once the consumer joined its group and has not crashed for good. */
  get healthy(): boolean {
    return this.joined && !this.crashed;
  }

  /** True when the consumer crashed and kafkajs will not restart it. */
  get failed(): boolean {
    return this.crashed !== undefined;
  }

  async start(): Promise<void> {
    const consumer = this.deps.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(this.options.sessionTimeoutMs / 10)),
      rebalanceTimeout: Math.max(10_000, this.options.sessionTimeoutMs),
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
      this.crashed = undefined;
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      this.deps.logger.error({ err: error, restart }, 'results consumer crashed');
      if (!restart) this.crashed = error;
    });
    await consumer.connect();
    // A new group starts at the beginning: results produced before the first gate
    // started are still recorded (recording is idempotent).
    await consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  private async handleBatch({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    const { scripts, events, metrics, logger } = this.deps;
    const calls: { keys: EventKeys; args: RecordResultArgs }[] = [];
    const recorded: IssueResult[] = [];
    const dead: DeadLetter[] = [];
    for (const message of batch.messages) {
      let result: IssueResult;
      try {
        result = decodeMessage(
          issueResultSchema,
          message.value,
          `IssueResult ${batch.topic}/${batch.partition}@${message.offset}`,
        );
      } catch (error) {
        dead.push(
          deadLetterOf(
            error,
            {
              topic: batch.topic,
              partition: batch.partition,
              offset: message.offset,
              key: message.key,
            },
            message.value,
            'gate',
            new Date(),
          ),
        );
        continue;
      }
      const event = events.get(result.eventId);
      const known = event !== undefined && event.tenant === result.tenant;
      const k = known ? event.keys : eventKeys(result.tenant, result.eventId);
      // Header fields first: the scripts read them without decoding (result_header.lua).
      const stored = JSON.stringify({
        ticket: result.ticket,
        status: result.outcome,
        coupon: result.coupon,
        reason: result.reason,
        decidedAt: result.decidedAt,
      });
      calls.push({
        keys: k,
        args: {
          userId: result.userId,
          ticket: result.ticket,
          outcome: result.outcome,
          resultJson: stored,
          stock: result.stock,
          remaining: result.remaining,
          retentionSeconds: known ? event.retentionSeconds : this.options.defaultRetentionSeconds,
          uid: known ? event.uid : '',
        },
      });
      recorded.push(result);
    }
    if (dead.length > 0) {
      await this.deps.producer.send({
        topic: this.options.deadLetterTopic,
        acks: -1,
        messages: dead.map((d) => ({ key: d.source.key, value: encodeMessage(d) })),
      });
      metrics.resultsIgnored.inc({ reason: 'invalid' }, dead.length);
      for (const d of dead)
        logger.warn({ reason: d.reason, source: d.source }, 'invalid result sent to dead letters');
    }
    if (recorded.length > 0) {
      // A Redis failure fails the batch: kafkajs redelivers it, recording is idempotent.
      const replies = await scripts.recordResults(calls);
      const now = Date.now();
      replies.forEach((reply, i) => {
        const result = recorded[i]!;
        if (reply === 'recorded') {
          metrics.results.inc({ outcome: result.outcome });
          metrics.resultLag.observe(Math.max(0, now - Date.parse(result.decidedAt)) / 1000);
        } else {
          metrics.resultsIgnored.inc({ reason: reply });
        }
      });
    }
    for (const message of batch.messages) resolveOffset(message.offset);
    await heartbeat();
  }
}
