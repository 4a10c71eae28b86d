// Topic creation as every service does it at start-up, against the test stack's broker:
// only the missing topics are created, laid out as the settings say.
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigResourceTypes } from 'kafkajs';
import { createMissingTopics, kafkaTopicSettings } from '@rediclaim/core';
import { createTestTopics, deleteTestTopics, testKafka, uniqueName } from '@rediclaim/hack/testing';
import { z } from 'zod';

const id = uniqueName('topics');
const made: string[] = [];
afterAll(async () => {
  await deleteTestTopics(made).catch(() => undefined);
});

describe('createMissingTopics', () => {
  it('creates what is missing with the settings’ partitions and min.insync.replicas, and leaves existing topics alone', async () => {
    const existing = `${id}.existing`;
    const fresh = `${id}.fresh`;
    made.push(existing, fresh);
    await createTestTopics([{ topic: existing, numPartitions: 1 }]);
    const s = z.object(kafkaTopicSettings).parse({
      TOPIC_PARTITIONS: '3',
      KAFKA_REPLICATION_FACTOR: '1',
      KAFKA_MIN_INSYNC_REPLICAS: '1',
    });
    const admin = testKafka().admin();
    await admin.connect();
    try {
      expect(await createMissingTopics(admin, s, [existing, fresh, fresh])).toEqual([fresh]);
      expect(await createMissingTopics(admin, s, [existing, fresh])).toEqual([]);
      const { topics } = await admin.fetchTopicMetadata({ topics: [existing, fresh] });
      const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
      expect(partitions).toEqual({ [existing]: 1, [fresh]: 3 });
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: fresh, configNames: ['min.insync.replicas'] },
        ],
      });
      const entry = resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas');
      // Set on the topic itself, not inherited from the broker.
      expect(entry).toMatchObject({ configValue: '1', isDefault: false });
    } finally {
      await admin.disconnect();
    }
  });

  it('fails with the broker’s reason when the cluster has fewer brokers than the replication factor', async () => {
    const topic = `${id}.wide`;
    const s = z.object(kafkaTopicSettings).parse({ KAFKA_REPLICATION_FACTOR: '3' });
    const admin = testKafka().admin();
    await admin.connect();
    try {
      await expect(createMissingTopics(admin, s, [topic])).rejects.toMatchObject({
        errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })],
      });
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await admin.disconnect();
    }
  });
});
