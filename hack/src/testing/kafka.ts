import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { stackEnv, type StackEnv } from './env.js';
import { waitFor } from './wait.js';

/**
 * The services' Kafka security settings for a stack (core's kafkaSecuritySettings):
 * TLS against the stack's CA and SCRAM-SHA-512 as its user when it was started with
 * RC_KAFKA_SASL=1, nothing otherwise.
 */
export function kafkaSecurityEnv(env: StackEnv): Record<string, string> {
  const sasl = env.kafkaSasl;
  if (!sasl) return {};
  return {
    KAFKA_TLS: 'true',
    KAFKA_TLS_CA_FILE: sasl.caFile,
    KAFKA_SASL_MECHANISM: sasl.mechanism,
    KAFKA_SASL_USERNAME: sasl.username,
    KAFKA_SASL_PASSWORD_FILE: sasl.passwordFile,
  };
}

/** A silent kafkajs client of any stack's broker, through its SASL_SSL listener when it has one. */
export function stackKafka(env: StackEnv, clientId = 'rediclaim-test'): Kafka {
  const sasl = env.kafkaSasl;
  return new Kafka({
    clientId,
    brokers: env.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    ...(sasl
      ? {
          ssl: { ca: readFileSync(sasl.caFile, 'utf8') },
          sasl: {
            mechanism: sasl.mechanism,
            username: sasl.username,
            password: readFileSync(sasl.passwordFile, 'utf8').trim(),
          },
        }
      : {}),
  });
}

/**
 * A kafkajs client of the test stack's broker. Silent: kafkajs logs retriable errors
 * (a fresh broker's "group coordinator not available") at ERROR; real failures still
 * reject the promise a test awaits.
 */
export function testKafka(clientId = 'rediclaim-test'): Kafka {
  return new Kafka({ clientId, brokers: stackEnv().kafkaBrokers, logLevel: logLevel.NOTHING });
}

/**
 * Creates topics and waits for their leaders: producing to a topic whose leader is
 * still being elected fails (kafkajs#1563).
 */
export async function createTestTopics(
  topics: { topic: string; numPartitions?: number }[],
): Promise<void> {
  const admin = testKafka('rediclaim-test-admin').admin();
  await admin.connect();
  try {
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({
          topic: t.topic,
          numPartitions: t.numPartitions ?? 1,
          replicationFactor: 1,
        })),
      });
    } catch (error) {
      // A broker that just started answers the leader wait "does not host this
      // topic-partition" (created, metadata not propagated yet), which kafkajs does not
      // retry: wait for the leaders ourselves.
      if ((error as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error;
      await waitFor(
        `leaders of ${topics.map((t) => t.topic).join(', ')}`,
        async () => {
          try {
            const { topics: found } = await admin.fetchTopicMetadata({
              topics: topics.map((t) => t.topic),
            });
            return found.every((t) => t.partitions.every((p) => p.leader >= 0));
          } catch {
            return false;
          }
        },
        30_000,
        200,
      );
    }
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTestTopics(topics: string[]): Promise<void> {
  const admin = testKafka('rediclaim-test-admin').admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}
