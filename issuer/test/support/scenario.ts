import { Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import {
  SIGNATURE_HEADER,
  encodeIssueRequestV1,
  encodeIssueRequests,
  signRecord,
  type IssueRequest,
  type OutgoingRecord,
} from '@rediclaim/core';
import {
  createTestDatabase,
  stackEnv,
  uniqueName,
  type PrivateStack,
  type TestDatabase,
} from '@rediclaim/hack/testing';
import { SIGNING_KEY } from './requests.js';

export interface Scenario {
  tenant: string;
  eventId: string;
  db: TestDatabase;
  /** `coupons`: the outbox relay's (TOPIC_COUPONS). */
  topics: { issueRequests: string; issueResults: string; deadLetters: string; coupons: string };
  kafka: Kafka;
  brokers: string[];
  groupId: string;
}

/** A database and four topics of the suite's own on the shared test stack. */
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
    coupons: `${name}.coupons`,
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

/** A scenario on a fault test's private stack: its Kafka and a database on its MariaDB. */
export async function scenarioOn(prefix: string, stack: PrivateStack): Promise<Scenario> {
  return scenario(prefix, 4, stack.env.kafkaBrokers, await createTestDatabase('issuer', stack.env));
}

let producers = new Map<Scenario, Producer>();

export interface ProduceOptions {
  /**
   * 2 (the default): runs of requests of one sale, policy and admission go in batch
   * records of at most `batchSize`, as the gate sends them; 1: one record per request,
   * as gates before v2 did.
   */
  version?: 1 | 2;
  batchSize?: number;
}

/** The records requests travel in, in order: v2 batches of consecutive alike requests. */
function recordsOf(requests: readonly IssueRequest[], options: ProduceOptions): OutgoingRecord[] {
  if (options.version === 1) return requests.map(encodeIssueRequestV1);
  const out: OutgoingRecord[] = [];
  const batchSize = options.batchSize ?? 100;
  let run: IssueRequest[] = [];
  const flush = () => {
    if (run.length === 0) return;
    const first = run[0]!;
    out.push(
      ...encodeIssueRequests(
        {
          type: 'IssueRequestBatch',
          version: 2,
          tenant: first.tenant,
          eventId: first.eventId,
          ...(first.uid ? { uid: first.uid } : {}),
          admittedAt: first.admittedAt,
          policy: first.policy,
        },
        run.map(({ requestId, userId, ticket }) => ({ requestId, userId, ticket })),
      ),
    );
    run = [];
  };
  for (const request of requests) {
    const first = run[0];
    if (
      first &&
      (run.length >= batchSize ||
        first.tenant !== request.tenant ||
        first.eventId !== request.eventId ||
        first.uid !== request.uid ||
        first.admittedAt !== request.admittedAt ||
        JSON.stringify(first.policy) !== JSON.stringify(request.policy))
    )
      flush();
    run.push(request);
  }
  flush();
  return out;
}

/**
 * A record as a test writes it: signed with the gates' key like the gate's, unless
 * `signature` says otherwise (null: unsigned; a string: that header, forged).
 */
export interface RawRecord {
  key?: string | null;
  value: Buffer | string | null;
  signature?: string | null;
}

function signed(record: RawRecord): Message {
  const value = record.value === null ? null : Buffer.from(record.value);
  const signature =
    record.signature === undefined
      ? signRecord(value ?? Buffer.alloc(0), SIGNING_KEY)
      : record.signature;
  return {
    key: record.key ?? null,
    value,
    ...(signature === null ? {} : { headers: { [SIGNATURE_HEADER]: signature } }),
  };
}

export async function produce(
  s: Scenario,
  messages: (IssueRequest | RawRecord)[],
  options: ProduceOptions = {},
): Promise<void> {
  let producer = producers.get(s);
  if (!producer) {
    producer = s.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    producers.set(s, producer);
  }
  // Consecutive requests become records; raw messages go as they are, in place.
  const records: Message[] = [];
  let requests: IssueRequest[] = [];
  for (const m of messages) {
    if ('type' in m) {
      requests.push(m);
      continue;
    }
    records.push(...recordsOf(requests, options).map(signed), signed(m));
    requests = [];
  }
  records.push(...recordsOf(requests, options).map(signed));
  for (let i = 0; i < records.length; i += 5_000) {
    await producer.send({
      topic: s.topics.issueRequests,
      acks: -1,
      messages: records.slice(i, i + 5_000),
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
