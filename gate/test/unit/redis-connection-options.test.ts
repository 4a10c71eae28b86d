import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@rediclaim/hack/testing';
import { loadGateSettings } from '@rediclaim/gate';
import {
  describeRedis,
  redisClusterNodeOptions,
  redisConnectionOptions,
} from '../../src/redis/connection-options.js';
import { isRedisFailure } from '../../src/http/errors.js';
import { hashTagOf } from '../../src/redis/replica-barrier.js';
import { minimalGateEnv } from '../support/minimal-env.js';

/** The Redis settings on their own: files read, combinations checked, ioredis options built. */
let dir: string;
const file = (name: string) => path.join(dir, name);
const settings = (env: Record<string, string>) => loadGateSettings({ ...minimalGateEnv, ...env });

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rc-redis-tls-'));
  // The certificates the TLS servers of the tests use (hack/lib/tls.sh), made afresh.
  execFileSync(
    'bash',
    ['-c', `source hack/lib/common.sh && source hack/lib/tls.sh && make_tls_certs "${dir}"`],
    {
      cwd: repoRoot,
      env: { ...process.env, LOG_TAG: 'test' },
    },
  );
  writeFileSync(file('password'), 's3cret-with:odd@chars\n');
  writeFileSync(file('empty'), '\n');
  writeFileSync(file('not-pem'), 'hello');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the Redis connection settings', () => {
  it('builds TLS options only for rediss://, verifying the server against REDIS_TLS_CA', () => {
    const options = redisConnectionOptions(
      settings({
        REDIS_URL: 'rediss://redis.example:6380/3',
        REDIS_TLS_CA: file('ca.crt'),
        REDIS_TLS_CERT: file('client.crt'),
        REDIS_TLS_KEY: file('client.key'),
        REDIS_TLS_SERVERNAME: 'redis.internal',
        REDIS_USERNAME: 'rediclaim',
        REDIS_PASSWORD_FILE: file('password'),
      }),
    );
    expect(options).toMatchObject({
      host: 'redis.example',
      port: 6380,
      db: 3,
      username: 'rediclaim',
      // The file's text without its line break.
      password: 's3cret-with:odd@chars',
      tls: {
        rejectUnauthorized: true,
        ca: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
        cert: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
        key: expect.stringContaining('PRIVATE KEY-----'),
        servername: 'redis.internal',
      },
    });
    // Without REDIS_TLS_CA, Node's own authorities; still verified.
    expect(redisConnectionOptions(settings({ REDIS_URL: 'rediss://r:6379' })).tls).toEqual({
      rejectUnauthorized: true,
    });
    const plain = redisConnectionOptions(settings({ REDIS_URL: 'redis://[::1]:6379' }));
    expect(plain).toEqual({ host: '::1', port: 6379, db: 0 });
  });

  it('refuses TLS settings on a redis:// URL rather than ignore them', () => {
    for (const [name, value] of [
      ['REDIS_TLS_CA', file('ca.crt')],
      ['REDIS_TLS_SERVERNAME', 'localhost'],
    ])
      expect(() => settings({ REDIS_URL: 'redis://r:6379', [name!]: value! })).toThrow(
        `${name}: needs a rediss:// REDIS_URL: with redis:// the connection is plaintext and this setting would be ignored`,
      );
    expect(() =>
      settings({
        REDIS_URL: 'redis://r:6379',
        REDIS_TLS_CERT: file('client.crt'),
        REDIS_TLS_KEY: file('client.key'),
      }),
    ).toThrow(/REDIS_TLS_CERT: needs a rediss:\/\/ REDIS_URL.*REDIS_TLS_KEY: needs a rediss:\/\//);
  });

  it('names a TLS file that is missing, not PEM, or a key that is not the certificate’s', () => {
    const tls = (env: Record<string, string>) => () =>
      settings({ REDIS_URL: 'rediss://r:6379', ...env });
    expect(tls({ REDIS_TLS_CA: file('nothing.crt') })).toThrow(
      `REDIS_TLS_CA: names no file: ${file('nothing.crt')} does not exist`,
    );
    expect(tls({ REDIS_TLS_CA: file('not-pem') })).toThrow(
      `REDIS_TLS_CA: ${file('not-pem')} holds no PEM certificate`,
    );
    expect(tls({ REDIS_TLS_CERT: file('client.crt'), REDIS_TLS_KEY: file('client.crt') })).toThrow(
      `REDIS_TLS_KEY: ${file('client.crt')} is not a PEM private key without a passphrase`,
    );
    expect(tls({ REDIS_TLS_CERT: file('client.crt'), REDIS_TLS_KEY: file('server.key') })).toThrow(
      `REDIS_TLS_KEY: ${file('server.key')} is not the private key of REDIS_TLS_CERT (${file('client.crt')})`,
    );
    expect(tls({ REDIS_TLS_CERT: file('client.crt') })).toThrow(
      'REDIS_TLS_KEY: REDIS_TLS_CERT and REDIS_TLS_KEY go together',
    );
    expect(tls({ REDIS_TLS_KEY: file('client.key') })).toThrow(
      'REDIS_TLS_CERT: REDIS_TLS_CERT and REDIS_TLS_KEY go together',
    );
    expect(tls({ REDIS_TLS_SERVERNAME: 'not a name' })).toThrow(
      'REDIS_TLS_SERVERNAME: must be a host name',
    );
  });

  it('takes the password from one place, and a user only with one', () => {
    const url = { REDIS_URL: 'redis://r:6379' };
    expect(() =>
      settings({ ...url, REDIS_PASSWORD: 'x', REDIS_PASSWORD_FILE: file('password') }),
    ).toThrow('REDIS_PASSWORD_FILE: set one of REDIS_PASSWORD and REDIS_PASSWORD_FILE, not both');
    expect(() => settings({ ...url, REDIS_PASSWORD_FILE: file('empty') })).toThrow(
      `REDIS_PASSWORD_FILE: ${file('empty')} is empty`,
    );
    expect(() => settings({ ...url, REDIS_PASSWORD_FILE: file('nothing') })).toThrow(
      `REDIS_PASSWORD_FILE: names no file: ${file('nothing')} does not exist`,
    );
    expect(() => settings({ ...url, REDIS_USERNAME: 'rediclaim' })).toThrow(
      'REDIS_USERNAME: needs REDIS_PASSWORD or REDIS_PASSWORD_FILE (without a password no user is sent)',
    );
    expect(() =>
      settings({ REDIS_URL: 'redis://:inline@r:6379', REDIS_PASSWORD_FILE: file('password') }),
    ).toThrow('REDIS_URL: carries a user or password while REDIS_USERNAME/REDIS_PASSWORD(_FILE)');
  });

  it('still reads credentials from the URL alone, and never shows the password', () => {
    const s = settings({ REDIS_URL: 'rediss://gate:p%40ss@r:6379/1' });
    expect(redisConnectionOptions(s)).toMatchObject({ username: 'gate', password: 'p@ss', db: 1 });
    expect(describeRedis(s)).toBe('rediss://r:6379 as user gate');
    const described = describeRedis(
      settings({ REDIS_URL: 'redis://r', REDIS_USERNAME: 'u', REDIS_PASSWORD: 'hidden' }),
    );
    expect(described).toBe('redis://r as user u');
  });

  it('refuses what ioredis would read from a URL behind the settings’ back', () => {
    expect(() => settings({ REDIS_URL: 'redis://r:6379?tls=true' })).toThrow(
      'REDIS_URL: must not have a query or fragment',
    );
    expect(() => settings({ REDIS_URL: 'redis://r:6379/16' })).toThrow(
      'REDIS_URL: names a database 0 to 15 (/0) or none',
    );
    expect(() => settings({ REDIS_URL: 'redis://r:6379/x' })).toThrow('names a database');
  });
});

describe('the Redis Cluster settings', () => {
  const cluster = (env: Record<string, string>) =>
    loadGateSettings({ ...minimalGateEnv, REDIS_URL: '', ...env });

  it('reads the seed nodes, and gives every node the credentials', () => {
    const s = cluster({
      REDIS_CLUSTER_NODES: 'redis-0.redis:6379, 10.0.0.7:7000',
      REDIS_USERNAME: 'rediclaim',
      REDIS_PASSWORD_FILE: file('password'),
    });
    expect(s.REDIS_CLUSTER_NODES).toEqual([
      { host: 'redis-0.redis', port: 6379 },
      { host: '10.0.0.7', port: 7000 },
    ]);
    expect(s.REDIS_CLUSTER_REPLICA_WAIT_MS).toBe(500);
    expect(redisClusterNodeOptions(s)).toEqual({
      username: 'rediclaim',
      password: 's3cret-with:odd@chars',
    });
    expect(describeRedis(s)).toBe(
      'the Redis Cluster of seed nodes redis-0.redis:6379, 10.0.0.7:7000 as user rediclaim',
    );
  });

  it('takes one of REDIS_URL and REDIS_CLUSTER_NODES, and refuses TLS with a cluster', () => {
    expect(() => cluster({})).toThrow(
      'REDIS_URL: is required (or REDIS_CLUSTER_NODES, the seed nodes of a Redis Cluster)',
    );
    expect(() => settings({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'r:6379' })).toThrow(
      'REDIS_CLUSTER_NODES: set one of REDIS_URL (one Redis) and REDIS_CLUSTER_NODES',
    );
    expect(() => cluster({ REDIS_CLUSTER_NODES: 'r:6379', REDIS_TLS_CA: file('ca.crt') })).toThrow(
      'REDIS_TLS_CA: is not supported with REDIS_CLUSTER_NODES',
    );
    expect(() => cluster({ REDIS_CLUSTER_NODES: 'r:6379,redis://s:6379' })).toThrow(
      '"redis://s:6379" is not host or host:port',
    );
    expect(() => cluster({ REDIS_CLUSTER_NODES: 'r:6379', REDIS_USERNAME: 'u' })).toThrow(
      'REDIS_USERNAME: needs REDIS_PASSWORD or REDIS_PASSWORD_FILE',
    );
    expect(() =>
      cluster({ REDIS_CLUSTER_NODES: 'r:6379', REDIS_CLUSTER_REPLICA_WAIT_MS: '2000' }),
    ).toThrow(
      'REDIS_CLUSTER_REPLICA_WAIT_MS: must be shorter than REDIS_COMMAND_TIMEOUT_MS (2000)',
    );
  });

  it('hashes keys by their tag, as Redis Cluster does', () => {
    expect(hashTagOf('rc:{shop/sale}:queue')).toBe('shop/sale');
    expect(hashTagOf('rc:{}:queue')).toBe('rc:{}:queue');
    expect(hashTagOf('rc:event-tenants')).toBe('rc:event-tenants');
  });

  it('answers 503, not 500, to a cluster in a failover', () => {
    for (const message of [
      'CLUSTERDOWN The cluster is down',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'MOVED 8894 127.0.0.1:21617',
      'Too many Cluster redirections. Last error: Error: Connection is closed.',
      'Failed to refresh slots cache.',
      'None of startup nodes is available',
    ])
      expect([message, isRedisFailure(new Error(message))]).toEqual([message, true]);
    expect(
      isRedisFailure(
        new Error('All keys in the pipeline should belong to the same slots allocation group'),
      ),
    ).toBe(false);
  });
});
