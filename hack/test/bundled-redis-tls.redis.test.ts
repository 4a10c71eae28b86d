import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis, type RedisOptions } from 'ioredis';
import { run, startBundledRedis, type BundledRedis } from './support/bundled-redis.js';
import { envOf, find } from './support/chart.js';

/**
 * The chart's bundled Redis with redis.tls.enabled, run for real from the rendered spec
 * and the certificate the chart made: the probe passes over TLS, the gate's connection as
 * the chart configures it (rediss://, the chart's CA, the Service's name) gets in, and a
 * plaintext client or one that does not trust that CA does not.
 */
const PASSWORD = 'a-password-of-the-secret';

let redisServer: BundledRedis;
let ca: string;
let serviceName: string;

beforeAll(async () => {
  redisServer = await startBundledRedis(PASSWORD, { redis: { tls: { enabled: true } } });
  const secret = find(redisServer.objects, 'Secret', 'rediclaim-bundled-tls') as unknown as {
    data: Record<string, string>;
  };
  ca = Buffer.from(secret.data['ca.crt']!, 'base64').toString('utf8');
  const gate = envOf(find(redisServer.objects, 'Deployment', 'rediclaim-gate'));
  expect(gate.REDIS_URL).toBe('rediss://rediclaim-redis.shop.svc:6379/0');
  serviceName = new URL(gate.REDIS_URL!).hostname;
});

afterAll(() => redisServer?.stop());

const client = (options: RedisOptions) => {
  const redis = new Redis({
    port: redisServer.port,
    host: '127.0.0.1',
    username: 'rediclaim',
    password: PASSWORD,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    disconnectTimeout: 10,
    ...options,
  });
  redis.on('error', () => undefined);
  return redis;
};

describe('the bundled Redis with TLS', () => {
  it('passes its own probe over TLS, and fails it without TLS', async () => {
    await expect(run('sh', ['-c', redisServer.probe])).resolves.toBeDefined();
    const plainProbe = redisServer.probe.replace(/ --tls --cacert \S+/, '');
    expect(plainProbe).not.toContain('--tls');
    await expect(run('sh', ['-c', plainProbe], { timeout: 5_000 })).rejects.toThrow();
  });

  it('lets the gate in as the chart configures it: the chart CA, the Service name', async () => {
    const redis = client({ tls: { ca, servername: serviceName } });
    try {
      await redis.connect();
      expect(await redis.set('rc:probe', '1')).toBe('OK');
    } finally {
      redis.disconnect();
    }
  });

  it('refuses a plaintext client, one that trusts other CAs, and a name not in the certificate', async () => {
    for (const tls of [
      undefined,
      { servername: serviceName },
      { ca, servername: 'rediclaim-gate.shop.svc' },
    ]) {
      const redis = client(tls ? { tls } : {});
      try {
        await expect(redis.connect().then(() => redis.ping())).rejects.toThrow();
      } finally {
        redis.disconnect();
      }
    }
  });
});
