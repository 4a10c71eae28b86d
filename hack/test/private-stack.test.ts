import { describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { startPrivateStack } from '@rediclaim/hack/testing';

describe('a private stack for fault tests', () => {
  it('runs its own Redis that survives a restart with its data (AOF), then goes away', async () => {
    const stack = await startPrivateStack('smoke', ['redis']);
    try {
      let redis = new Redis(stack.env.redisUrl);
      await redis.set('kept', 'yes');
      await redis.quit();
      await stack.stack('restart', 'redis');
      redis = new Redis(stack.env.redisUrl);
      expect(await redis.get('kept')).toBe('yes');
      await redis.quit();
    } finally {
      await stack.destroy();
    }
    const after = new Redis(stack.env.redisUrl, { lazyConnect: true, retryStrategy: () => null });
    await expect(after.connect()).rejects.toThrow();
    after.disconnect();
  });
});
