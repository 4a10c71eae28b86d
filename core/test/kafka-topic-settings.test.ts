import { describe, expect, it } from '@jest/globals';
import {
  describeKafkaTopics,
  kafkaTopicIssues,
  kafkaTopicSettings,
  newTopic,
  refineKafkaTopics,
  type KafkaTopicSettings,
} from '@rediclaim/core';
import { z } from 'zod';

const schema = z.object(kafkaTopicSettings).superRefine(refineKafkaTopics);
const parse = (env: Record<string, string>): KafkaTopicSettings => schema.parse(env);

describe('Kafka topic settings', () => {
  it("leave replication to the broker's defaults unless told", () => {
    const s = parse({});
    expect(newTopic(s, 'requests')).toEqual({
      topic: 'requests',
      numPartitions: 12,
      replicationFactor: -1,
      configEntries: [],
    });
    expect(describeKafkaTopics(s)).toBe(
      "12 partitions, replication factor the broker's default, min.insync.replicas the broker's default",
    );
  });

  it('create replicated topics that refuse writes resting on too few copies', () => {
    const s = parse({
      TOPIC_PARTITIONS: '6',
      KAFKA_REPLICATION_FACTOR: '3',
      KAFKA_MIN_INSYNC_REPLICAS: '2',
    });
    expect(newTopic(s, 'requests')).toEqual({
      topic: 'requests',
      numPartitions: 6,
      replicationFactor: 3,
      configEntries: [{ name: 'min.insync.replicas', value: '2' }],
    });
    // The operator widens topics to the issuer's maximum replicas.
    expect(newTopic(s, 'results', 20).numPartitions).toBe(20);
    expect(describeKafkaTopics(s)).toBe(
      '6 partitions, replication factor 3, min.insync.replicas 2',
    );
  });

  it('refuse a min.insync.replicas no write could meet, naming both settings', () => {
    const result = schema.safeParse({
      KAFKA_REPLICATION_FACTOR: '2',
      KAFKA_MIN_INSYNC_REPLICAS: '3',
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['KAFKA_MIN_INSYNC_REPLICAS'],
        message:
          'is 3, more than the 2 copies KAFKA_REPLICATION_FACTOR makes: no write could ever succeed',
      }),
    ]);
    // Alone, min.insync.replicas is checked by the broker against the topic it creates.
    expect(kafkaTopicIssues(parse({ KAFKA_MIN_INSYNC_REPLICAS: '3' }))).toEqual([]);
  });

  it.each([
    ['KAFKA_REPLICATION_FACTOR', '0'],
    ['KAFKA_REPLICATION_FACTOR', 'three'],
    ['KAFKA_MIN_INSYNC_REPLICAS', '-1'],
    ['TOPIC_PARTITIONS', '0'],
  ])('refuse %s=%s', (name, value) => {
    const result = schema.safeParse({ [name]: value });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([name]);
  });
});
