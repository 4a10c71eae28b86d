import { Kafka, type Admin } from 'kafkajs';
import type { Logger } from 'pino';
import {
  createMissingTopics,
  kafkaClientConfig,
  type KafkaSecurity,
  type KafkaTopicSettings,
} from '@rediclaim/core';

export interface KafkaTopicsOptions {
  brokers: string[];
  clientId: string;
  topics: string[];
  /** Every topic needs at least this many partitions: the issuer's maximum replicas. */
  minPartitions: number;
  /** How a topic created here is laid out (never fewer partitions than minPartitions). */
  layout: KafkaTopicSettings;
  logger: Logger;
  security?: KafkaSecurity;
}

export interface PartitionChanges {
  created: string[];
  raised: { topic: string; from: number; to: number }[];
}

/**
 * Keeps the issue topics wide enough for the issuer to scale: a consumer group spreads
 * partitions over replicas, so replicas beyond the partition count would sit idle.
 * Partitions are only ever added (Kafka cannot remove them); topics missing are created.
 */
export class KafkaTopics {
  private readonly kafka: Kafka;
  private admin: Admin | undefined;

  constructor(private readonly options: KafkaTopicsOptions) {
    // A failed attempt is retried by the work queue with backoff, not inside kafkajs.
    this.kafka = new Kafka(
      kafkaClientConfig({
        clientId: options.clientId,
        brokers: options.brokers,
        logger: options.logger,
        ...(options.security ? { security: options.security } : {}),
        retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 },
      }),
    );
  }

  async ensure(): Promise<PartitionChanges> {
    const { topics, minPartitions, layout } = this.options;
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    const admin = this.admin;
    const changes: PartitionChanges = { created: [], raised: [] };
    try {
      changes.created.push(
        ...(await createMissingTopics(
          admin,
          layout,
          topics,
          Math.max(layout.TOPIC_PARTITIONS, minPartitions),
        )),
      );
      // Someone else may have created a topic meanwhile, narrower: check them all.
      {
        const metadata = await admin.fetchTopicMetadata({ topics });
        const short = metadata.topics.filter((t) => t.partitions.length < minPartitions);
        if (short.length) {
          await admin.createPartitions({
            validateOnly: false,
            timeout: 10_000,
            topicPartitions: short.map((t) => ({ topic: t.name, count: minPartitions })),
          });
          changes.raised.push(
            ...short.map((t) => ({ topic: t.name, from: t.partitions.length, to: minPartitions })),
          );
        }
      }
      return changes;
    } catch (error) {
      // A broken connection is rebuilt on the next attempt rather than reused.
      this.admin = undefined;
      await admin.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }
}
