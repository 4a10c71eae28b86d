import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  deadLetterOf,
  decodeMessage,
  encodeMessage,
  eventKeys,
  issueResultSchema,
  type DeadLetter,
  type IssueResult,
} from '@rediclaim/core';
import type { EventsStore } from '../config/events-store.js';
import type { GateMetrics } from '../metrics.js';

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
 * replica) and records them in Redis, one pipelined recordResult per message of a batch.
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
      redis: Redis;
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
    const { redis, events, metrics, logger } = this.deps;
    const pipeline = redis.pipeline();
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
      pipeline.rcRecordResult(
        k.queue,
        k.inflight,
        k.deadlines,
        k.results,
        k.stats,
        k.tombstone,
        k.retry,
        result.userId,
        String(result.ticket),
        result.outcome,
        stored,
        result.stock,
        result.remaining,
        known ? event.retentionSeconds : this.options.defaultRetentionSeconds,
        known ? event.uid : '',
      );
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
      const replies = (await pipeline.exec()) ?? [];
      const now = Date.now();
      replies.forEach(([error, value], i) => {
        // A Redis failure fails the batch: kafkajs redelivers it, recording is idempotent.
        if (error) throw error;
        const result = recorded[i]!;
        if (value === 1) {
          metrics.results.inc({ outcome: result.outcome });
          metrics.resultLag.observe(Math.max(0, now - Date.parse(result.decidedAt)) / 1000);
        } else {
          metrics.resultsIgnored.inc({ reason: value === -1 ? 'deleted' : 'duplicate' });
        }
      });
    }
    for (const message of batch.messages) resolveOffset(message.offset);
    await heartbeat();
  }
}
