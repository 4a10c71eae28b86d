import { Kafka, logLevel, type Producer } from 'kafkajs';
import { encodeMessage, messageKeyOf, type IssueRequest } from '@rediclaim/core';
import {
  createTestDatabase,
  stackEnv,
  uniqueName,
  type TestDatabase,
} from '@rediclaim/hack/testing';

export interface Scenario {
  tenant: string;
  eventId: string;
  db: TestDatabase;
  topics: { issueRequests: string; issueResults: string; deadLetters: string };
  kafka: Kafka;
  brokers: string[];
  groupId: string;
}

/** A database and three topics of the suite's own on the shared test stack. */
export async function scenario(
  prefix: string,
  partitions = 4,
  brokers = stackEnv().kafkaBrokers,
  db?: TestDatabase,
): Promise<Scenario> {
  const name = uniqueName(prefix);
  const topics = {
    issueRequests: `${name}.requests`,
    issueResults: `${name}.results`,
    deadLetters: `${name}.dead`,
  };
  const kafka = new Kafka({ clientId: name, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.values(topics).map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
      })),
    });
  } finally {
    await admin.disconnect();
  }
  return {
    tenant: 'shop',
    eventId: name,
    db: db ?? (await createTestDatabase('issuer')),
    topics,
    kafka,
    brokers,
    groupId: `${name}-issuer`,
  };
}

let producers = new Map<Scenario, Producer>();

export async function produce(
  s: Scenario,
  messages: (IssueRequest | { key?: string | null; value: Buffer | string | null })[],
): Promise<void> {
  let producer = producers.get(s);
  if (!producer) {
    producer = s.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    producers.set(s, producer);
  }
  for (let i = 0; i < messages.length; i += 5_000) {
    await producer.send({
      topic: s.topics.issueRequests,
      acks: -1,
      messages: messages
        .slice(i, i + 5_000)
        .map((m) =>
          'type' in m
            ? { key: messageKeyOf(m.tenant, m.eventId, m.userId), value: encodeMessage(m) }
            : { key: m.key ?? null, value: m.value },
        ),
    });
  }
}

export async function closeScenario(s: Scenario, dropDatabase = true): Promise<void> {
  const producer = producers.get(s);
  if (producer) {
    await producer.disconnect();
    producers.delete(s);
  }
  if (dropDatabase) await s.db.drop().catch(() => undefined);
  producers = new Map([...producers]);
}
