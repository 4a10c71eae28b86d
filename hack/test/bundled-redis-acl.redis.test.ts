import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { freePorts, waitFor } from '@rediclaim/hack/testing';
import { find, podSpecOf, render } from './support/chart.js';

const run = promisify(execFile);

/**
 * The chart's bundled Redis, its steps run for real outside a cluster: the init step's
 * script writes the ACL file from a password (one a shell could trip on), Debian's
 * redis-server starts from it as the StatefulSet starts it, and the probe passes as the
 * gate's user, while the `default` user is off and the gate's user is held to its rules.
 */
const PASSWORD = `p@ss w'rd "$(x)" \\ ${'z'.repeat(20)}`;

let dir: string;
let port: number;
let server: ChildProcess;
let probe: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rc-bundled-redis-'));
  writeFileSync(path.join(dir, 'password'), PASSWORD);
  const pod = podSpecOf(find(await render({}, 'shop'), 'StatefulSet', 'rediclaim-redis'));
  const local = (text: string) =>
    text.replaceAll('/secret/password', path.join(dir, 'password')).replaceAll('/acl/', `${dir}/`);
  const init = pod.initContainers!.find((c) => c.name === 'acl')!.command as string[];
  await run(init[0]!, [init[1]!, local(init[2]!)]);
  const redis = pod.containers[0]!;
  port = (await freePorts(1))[0]!;
  const args = (redis.args as string[]).map(local).map((a) => (a === '/data' ? dir : a));
  server = spawn('redis-server', [...args, '--port', String(port), '--bind', '127.0.0.1'], {
    stdio: 'ignore',
  });
  const startup = (redis.startupProbe as { exec: { command: string[] } }).exec.command;
  probe = local(startup[2]!).replace('-h 127.0.0.1', `-h 127.0.0.1 -p ${port}`);
  await waitFor(
    'the bundled Redis to pass its startup probe',
    () =>
      run('sh', ['-c', probe]).then(
        () => true,
        () => false,
      ),
    10_000,
    50,
  );
});

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill();
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

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
