import type { z } from 'zod';
import { env } from '../config/env.js';
import type { SettingsIssue } from './kafka-security.js';

/**
 * How the topics a service creates at start-up are laid out, shared by the three
 * services (any of them may be the first to start). Unset replication settings leave
 * the broker's defaults: right for a single broker, wrong for a cluster, where a topic
 * of one copy loses its admitted requests with the broker that holds them.
 */
export const kafkaTopicSettings = {
  /** Partitions of a topic created here: the most issuer replicas that can share the work. */
  TOPIC_PARTITIONS: env.int(1, 10_000).default(12),
  /** Copies of every partition, on distinct brokers (unset: the broker's default.replication.factor). */
  KAFKA_REPLICATION_FACTOR: env.int(1, 32).optional(),
  /**
   * min.insync.replicas of a topic created here: every producer of the platform waits for
   * all in-sync copies (acks -1), and a write fails instead of resting on fewer than this
   * many, so an acknowledged admission survives the loss of (this - 1) brokers.
   */
  KAFKA_MIN_INSYNC_REPLICAS: env.int(1, 32).optional(),
};

export type KafkaTopicSettings = z.output<z.ZodObject<typeof kafkaTopicSettings>>;

/** What the topic settings contradict, for the services' superRefine. */
export function kafkaTopicIssues(s: KafkaTopicSettings): SettingsIssue[] {
  const rf = s.KAFKA_REPLICATION_FACTOR;
  const isr = s.KAFKA_MIN_INSYNC_REPLICAS;
  if (rf !== undefined && isr !== undefined && isr > rf)
    return [
      {
        path: 'KAFKA_MIN_INSYNC_REPLICAS',
        message: `is ${isr}, more than the ${rf} copies KAFKA_REPLICATION_FACTOR makes: no write could ever succeed`,
      },
    ];
  return [];
}

/** kafkaTopicIssues as a settings schema's superRefine reports them. */
export function refineKafkaTopics(s: KafkaTopicSettings, ctx: z.RefinementCtx): void {
  for (const issue of kafkaTopicIssues(s))
    ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
}

/** A topic to create, as kafkajs' admin.createTopics takes it (structurally). */
export interface NewTopic {
  topic: string;
  numPartitions: number;
  /** -1: the broker's default. */
  replicationFactor: number;
  configEntries: { name: string; value: string }[];
}

/** The layout of `topic` when this service creates it. */
export function newTopic(
  s: KafkaTopicSettings,
  topic: string,
  numPartitions: number = s.TOPIC_PARTITIONS,
): NewTopic {
  return {
    topic,
    numPartitions,
    replicationFactor: s.KAFKA_REPLICATION_FACTOR ?? -1,
    configEntries:
      s.KAFKA_MIN_INSYNC_REPLICAS === undefined
        ? []
        : [{ name: 'min.insync.replicas', value: String(s.KAFKA_MIN_INSYNC_REPLICAS) }],
  };
}

/** The settings in a start-up log line. */
export function describeKafkaTopics(s: KafkaTopicSettings): string {
  const rf = s.KAFKA_REPLICATION_FACTOR ?? "the broker's default";
  const isr = s.KAFKA_MIN_INSYNC_REPLICAS ?? "the broker's default";
  return `${s.TOPIC_PARTITIONS} partitions, replication factor ${rf}, min.insync.replicas ${isr}`;
}

/** The admin calls creating topics needs (kafkajs' Admin, structurally). */
export interface TopicAdmin {
  listTopics(): Promise<string[]>;
  createTopics(options: { waitForLeaders: boolean; topics: NewTopic[] }): Promise<boolean>;
}

/**
 * Creates those of `topics` that are missing, laid out by the settings (core/CONTRACTS.md:
 * every service does so at start-up, so any start order works), and returns them.
 * Leaders are awaited: producing to a topic whose leader is still being elected fails
 * (kafkajs#1563). Existing topics are left as they are: the operator raises partitions,
 * and replication of an existing topic is the Kafka administrator's (a reassignment).
 */
export async function createMissingTopics(
  admin: TopicAdmin,
  s: KafkaTopicSettings,
  topics: readonly string[],
  numPartitions: number = s.TOPIC_PARTITIONS,
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set(topics)].filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => newTopic(s, topic, numPartitions)),
  });
  return missing;
}
