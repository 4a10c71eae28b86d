import { Kafka, logLevel } from 'kafkajs';
import { stackEnv } from './env.js';

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
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({
        topic: t.topic,
        numPartitions: t.numPartitions ?? 1,
        replicationFactor: 1,
      })),
    });
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
