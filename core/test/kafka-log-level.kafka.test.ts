// kafkajs' own records, routed by core's client configuration, against the test stack's
// broker: a group rebalancing stays out of the error log, a broker that is not there
// reaches it once the consumer gives up.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Kafka, type Consumer } from 'kafkajs';
import { kafkaClientConfig, type LevelLogger } from '@rediclaim/core';
import {
  createTestTopics,
  deleteTestTopics,
  freePorts,
  stackEnv,
  uniqueName,
  waitFor,
} from '@rediclaim/hack/testing';

interface Written {
  level: keyof LevelLogger;
  fields: { error?: unknown };
  message?: string;
}

/** A logger that keeps what it is given, in the shape kafkaClientConfig writes to. */
function recorder(): { logger: LevelLogger; written: Written[] } {
  const written: Written[] = [];
  const at =
    (level: keyof LevelLogger) =>
    (fields: object, message?: string): void => {
      written.push({ level, fields, message });
    };
  const logger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
  return { logger, written };
}

const loud = (written: Written[]) =>
  written.filter((w) => w.level === 'error' || w.level === 'warn');

describe('a consumer group rebalancing on the real broker', () => {
  const topic = uniqueName('kafka-log-level');
  const groupId = `${topic}-group`;
  const { logger, written } = recorder();
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    await createTestTopics([{ topic, numPartitions: 4 }]);
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    await deleteTestTopics([topic]);
  });

  const join = async (clientId: string): Promise<Set<number>> => {
    const kafka = new Kafka(
      kafkaClientConfig({ clientId, brokers: stackEnv().kafkaBrokers, logger }),
    );
    const consumer = kafka.consumer({ groupId, heartbeatInterval: 200, sessionTimeout: 10_000 });
    consumers.push(consumer);
    const assigned = new Set<number>();
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      assigned.clear();
      for (const p of payload.memberAssignment[topic] ?? []) assigned.add(p);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    return assigned;
  };

  it('logs the rebalance a second member causes at debug, and nothing at error or warn', async () => {
    const first = await join(uniqueName('first'));
    await waitFor(
      'the first member to hold every partition',
      async () => first.size === 4,
      30_000,
      100,
    );
    const second = await join(uniqueName('second'));
    await waitFor(
      'the partitions to be shared by both members',
      async () => second.size > 0 && first.size > 0 && first.size + second.size === 4,
      30_000,
      100,
    );
    // The first member heard of the rebalance from kafkajs: the records exist, quietly.
    expect(
      written.some(
        (w) =>
          w.level === 'debug' &&
          w.fields.error === 'The group is rebalancing, so a rejoin is needed',
      ),
    ).toBe(true);
    expect(loud(written)).toEqual([]);
  });
});

describe('a consumer whose broker is not there', () => {
  it('logs the attempts at debug and its crash at error', async () => {
    const [port] = await freePorts(1);
    const { logger, written } = recorder();
    const kafka = new Kafka(
      kafkaClientConfig({
        clientId: uniqueName('absent'),
        brokers: [`127.0.0.1:${port}`],
        logger,
        retry: { initialRetryTime: 50, maxRetryTime: 100, retries: 2 },
      }),
    );
    const consumer = kafka.consumer({
      groupId: uniqueName('absent-group'),
      retry: {
        initialRetryTime: 50,
        maxRetryTime: 100,
        retries: 2,
        restartOnFailure: async () => false,
      },
    });
    const crashed = new Promise<void>((resolve) =>
      consumer.on(consumer.events.CRASH, () => resolve()),
    );
    // connect() itself gives up on the seed broker: the caller hears of it.
    await expect(consumer.connect()).rejects.toThrow(/ECONNREFUSED/);
    // run() connects again and crashes when that fails too.
    await consumer.run({ eachMessage: async () => {} }).catch(() => undefined);
    await crashed;
    await consumer.disconnect();

    expect(written.filter((w) => w.level === 'debug').map((w) => w.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Connection error: connect ECONNREFUSED/),
        expect.stringMatching(
          /^Failed to connect to seed broker, trying another broker from the list/,
        ),
      ]),
    );
    expect(loud(written)).toEqual([
      expect.objectContaining({ level: 'error', message: expect.stringMatching(/^Crash: /) }),
    ]);
  });
});
