import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { env, loadEnvConfig } from '@rediclaim/core';

const schema = z.object({
  PORT: env.port().default(8080),
  REDIS_URL: env.url(['redis', 'rediss']),
  KAFKA_BROKERS: env.list(),
  PAUSED: env.bool().default(false),
});

describe('service settings from the environment', () => {
  it('reads, converts and defaults them', () => {
    expect(
      loadEnvConfig(
        schema,
        { REDIS_URL: 'redis://r:6379', KAFKA_BROKERS: 'a:9092, b:9092', PAUSED: 'yes' },
        'gate',
      ),
    ).toEqual({
      PORT: 8080,
      REDIS_URL: 'redis://r:6379',
      KAFKA_BROKERS: ['a:9092', 'b:9092'],
      PAUSED: true,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(
      loadEnvConfig(schema, { PORT: '', REDIS_URL: 'redis://r', KAFKA_BROKERS: 'k:1' }, 'gate')
        .PORT,
    ).toBe(8080);
  });

  it('names every wrong variable and what is wrong with it', () => {
    expect(() =>
      loadEnvConfig(schema, { PORT: '70000', REDIS_URL: 'http://r', PAUSED: 'maybe' }, 'gate'),
    ).toThrow(
      'gate settings are invalid: PORT: must be at most 65535; REDIS_URL: must be a URL starting with redis:// or rediss://; KAFKA_BROKERS: is required; PAUSED: must be true or false',
    );
  });
});
