import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { run, startBundledRedis, type BundledRedis } from './support/bundled-redis.js';

/**
 * The chart's bundled Redis, its steps run for real outside a cluster: the init step's
 * script writes the ACL file from a password (one a shell could trip on), Debian's
 * redis-server starts from it as the StatefulSet starts it, and the probe passes as the
 * gate's user, while the `default` user is off and the gate's user is held to its rules.
 */
const PASSWORD = `p@ss w'rd "$(x)" \\ ${'z'.repeat(20)}`;

let redisServer: BundledRedis;
let dir: string;
let port: number;
let probe: string;

beforeAll(async () => {
  redisServer = await startBundledRedis(PASSWORD);
  ({ dir, port, probe } = redisServer);
});

afterAll(() => redisServer?.stop());

describe('the bundled Redis', () => {
  it('keeps the ACL file to its owner, and the password only as a hash', () => {
    const acl = readFileSync(path.join(dir, 'users.acl'), 'utf8');
    expect(statSync(path.join(dir, 'users.acl')).mode & 0o077).toBe(0);
    expect(acl).not.toContain(PASSWORD);
    expect(acl).toMatch(/^user rediclaim on #[0-9a-f]{64} /m);
  });

  it('lets the gate user in with the Secret’s password and keeps it to its rules', async () => {
    const redis = new Redis({ port, username: 'rediclaim', password: PASSWORD, lazyConnect: true });
    try {
      await redis.connect();
      expect(await redis.set('rc:probe', '1')).toBe('OK');
      await expect(redis.set('elsewhere', '1')).rejects.toThrow(/NOPERM/);
      await expect(redis.flushall()).rejects.toThrow(/NOPERM/);
      await expect(redis.call('config', 'get', 'dir')).rejects.toThrow(/NOPERM/);
    } finally {
      redis.disconnect();
    }
  });

  it('has the default user off, with or without the password', async () => {
    for (const credentials of [
      {},
      { password: PASSWORD },
      { username: 'default', password: PASSWORD },
    ]) {
      const redis = new Redis({
        port,
        lazyConnect: true,
        retryStrategy: () => null,
        // Not the 2 s ioredis waits by default for a refused socket to close.
        disconnectTimeout: 10,
        ...credentials,
      });
      redis.on('error', () => undefined);
      try {
        await expect(redis.connect().then(() => redis.ping())).rejects.toThrow();
      } finally {
        redis.disconnect();
      }
    }
    // And the probe fails with another password: it is not a probe that passes anyway.
    writeFileSync(path.join(dir, 'password'), 'not-it');
    await expect(run('sh', ['-c', probe])).rejects.toThrow();
    writeFileSync(path.join(dir, 'password'), PASSWORD);
  });
});
