import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { eventKeys } from '@rediclaim/core';
import { Gate, loadGateSettings } from '@rediclaim/gate';
import {
  repoRoot,
  startPrivateStack,
  uniqueName,
  type PrivateStack,
  type StackEnv,
} from '@rediclaim/hack/testing';
import {
  gateEnv,
  startGate,
  suiteTopics,
  type InProcessGate,
  type Topics,
} from './support/harness.js';
import { IssuerSim } from './support/issuer-sim.js';
import { PushClient } from './support/push-client.js';
import { shopperApi } from './support/shoppers.js';
import { SuiteEvents } from './support/suite-events.js';

/**
 * The gate on a Redis that speaks TLS only and knows only ACL users (hack/stack's
 * RC_REDIS_TLS=1 on a private stack; Kafka is the test stack's): a sale runs over TLS as
 * the gate's user through every connection the gate opens (commands, the push
 * subscriber, the shared rate limiter), and each wrong way in is refused at start-up
 * with the reason: plaintext, an authority that did not sign the server's certificate,
 * another name, a wrong password, the default user. The user's ACL is real.
 */
const TENANT = 'tls-shop';
const SALE = uniqueName('tls-sale');

let stack: PrivateStack;
let tls: NonNullable<StackEnv['redisTls']>;
let topics: Topics;
let sim: IssuerSim;
let gate: InProcessGate;
const events = new SuiteEvents(TENANT);
const clients: PushClient[] = [];
const { join, me, untilStatus } = shopperApi(() => gate.http);

/** How the gate reaches the TLS Redis as its user. */
const asGateUser = (): Record<string, string> => ({
  REDIS_URL: stack.env.redisUrl,
  REDIS_TLS_CA: tls.caFile,
  REDIS_USERNAME: tls.username,
  REDIS_PASSWORD_FILE: tls.passwordFile,
});

/** Starts a gate that must fail to; returns why it did not start. */
async function startFails(redis: Record<string, string>): Promise<string> {
  const settings = loadGateSettings({
    ...gateEnv(topics, { EVENTS_FILE: events.path(), ...redis }),
    GATE_PORT: '1',
    GATE_ADMIN_PORT: '2',
  });
  const failing = new Gate({ settings, logger: pino({ level: 'silent' }) });
  try {
    await failing.start({ listen: false });
  } catch (error) {
    return (error as Error).message;
  } finally {
    await failing.stop();
  }
  throw new Error('the gate started');
}

beforeAll(async () => {
  stack = await startPrivateStack('redis-tls', ['redis'], { tls: true });
  tls = stack.env.redisTls!;
  topics = await suiteTopics('rtls');
  events.define(SALE, { mode: 'paused', rate: 50, stock: 2 });
  sim = new IssuerSim(topics, { kind: 'issue' });
  await sim.start();
  gate = await startGate(
    gateEnv(topics, {
      ...asGateUser(),
      // A client certificate too: the server accepts one (tls-auth-clients optional).
      REDIS_TLS_CERT: tls.certFile,
      REDIS_TLS_KEY: tls.keyFile,
      EVENTS_FILE: events.path(),
      DISPATCH_INTERVAL_MS: '20',
      // Counted in the TLS Redis, under the user's keys (rc:*).
      RATE_LIMIT_STORE: 'redis',
      RATE_LIMIT_NAMESPACE: `rc:ratelimit:${uniqueName('rtls')}:`,
      ENQUEUE_RATE_LIMIT_MAX: '3',
      ENQUEUE_RATE_LIMIT_WINDOW_MS: '60000',
    }),
  );
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await gate?.stop();
  await sim?.stop();
  await events.remove();
  await stack?.destroy();
});

describe('a gate on a TLS Redis with ACL users', () => {
  it('runs a sale as its ACL user: joins, the shared rate limit, admission, push and statuses', async () => {
    expect(stack.env.redisUrl).toMatch(/^rediss:\/\//);
    const joins = [];
    for (const user of ['ann', 'bob', 'cy', 'dan']) joins.push((await join(SALE, user)).statusCode);
    // The limiter's Lua ran in the TLS Redis: the fourth join from this address is refused.
    expect(joins).toEqual([201, 201, 201, 429]);
    expect(await me(SALE, 'cy')).toMatchObject({ status: 'WAITING', rank: 3 });
    const port = (gate.gate.app.server.address() as AddressInfo).port;
    const ann = new PushClient(
      `http://127.0.0.1:${port}/v1/events/${SALE}/queue/me/stream?userId=ann`,
    );
    clients.push(ann);
    await ann.status('WAITING');
    await events.update(gate.gate, SALE, (c) => (c.admission!.mode = 'fifo'));
    // Told through the change channel, heard by the subscriber connection (TLS, the user).
    const issued = await ann.status('ISSUED');
    expect(issued.body).toMatchObject({ coupon: { code: expect.any(String) } });
    await untilStatus(SALE, 'bob', 'ISSUED');
    await untilStatus(SALE, 'cy', 'SOLD_OUT');
    expect((await gate.http({ url: '/readyz' })).statusCode).toBe(200);
    // The queue lives in the TLS Redis (and not in the test stack's).
    const own = (gate.gate.redis as Redis).duplicate();
    try {
      expect(await own.hexists(eventKeys(TENANT, SALE).results, 'ann')).toBe(1);
    } finally {
      own.disconnect();
    }
  });

  it('gives the ACL user only what the gate does: no admin commands, no other keys or channels', async () => {
    // The gate's own connection options: same server, same user.
    const own = (gate.gate.redis as Redis).duplicate({ maxRetriesPerRequest: 0 });
    const refused = async (...command: [string, ...(string | number)[]]) =>
      own.call(...command).then(
        () => `${command.join(' ')} ran`,
        (error: Error) => error.message,
      );
    try {
      expect(await own.call('set', `rc:${uniqueName('probe')}`, '1')).toBe('OK');
      for (const command of [
        ['flushall'],
        ['flushdb'],
        ['config', 'get', 'requirepass'],
        ['config', 'set', 'save', ''],
        ['keys', '*'],
        ['scan', '0'],
        ['acl', 'list'],
        ['client', 'list'],
        ['client', 'kill', 'type', 'normal'],
        ['script', 'load', 'return 1'],
        ['function', 'flush'],
        ['debug', 'object', 'x'],
        ['shutdown', 'nosave'],
      ] as [string, ...string[]][])
        expect(await refused(...command)).toMatch(/NOPERM|not allowed/);
      expect(await refused('set', 'elsewhere', '1')).toMatch(/NOPERM.*keys/);
      expect(await refused('publish', 'elsewhere', 'x')).toMatch(/NOPERM.*channels/);
      // Its scripts are held to the same keys.
      expect(await refused('eval', "return redis.call('get', 'elsewhere')", 0)).toMatch(
        /can't access at least one of the keys/,
      );
    } finally {
      own.disconnect();
    }
  });

  it('refuses plaintext on the TLS port: the gate does not start and says rediss://', async () => {
    const plain = stack.env.redisUrl.replace(/^rediss:/, 'redis:');
    expect(await startFails({ ...asGateUser(), REDIS_URL: plain, REDIS_TLS_CA: '' })).toMatch(
      /cannot connect to Redis at redis:\/\/127\.0\.0\.1:\d+ as user rediclaim: the server closed the connection before answering .*rediss:\/\//,
    );
    // Nor does any plaintext client get an answer there.
    const raw = new Redis(plain, { lazyConnect: true, retryStrategy: () => null });
    raw.on('error', () => undefined);
    await expect(raw.connect().then(() => raw.ping())).rejects.toThrow();
    raw.disconnect();
  });

  it('refuses a server whose certificate another authority signed, naming REDIS_TLS_CA', async () => {
    expect(await startFails({ ...asGateUser(), REDIS_TLS_CA: tls.otherCaFile })).toMatch(
      `the server's certificate is not trusted (SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain); REDIS_TLS_CA names the authority that signed it (now ${tls.otherCaFile})`,
    );
    // Without REDIS_TLS_CA the system's authorities are trusted, and they did not sign it.
    expect(await startFails({ ...asGateUser(), REDIS_TLS_CA: '' })).toMatch(
      "REDIS_TLS_CA names the authority that signed it (unset: the system's authorities)",
    );
  });

  it('exits at start-up with the certificate error in its log', () => {
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'gate/dist/main.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        ...gateEnv(topics, { EVENTS_FILE: events.path(), LOG_LEVEL: 'info' }),
        ...asGateUser(),
        REDIS_TLS_CA: tls.otherCaFile,
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    const fatal = run.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string } })
      .find((record) => record.msg === 'gate failed to start');
    expect(fatal?.err?.message).toContain("the server's certificate is not trusted");
  });

  it('verifies the name on the certificate: another is refused, one it has is accepted', async () => {
    expect(
      await startFails({ ...asGateUser(), REDIS_TLS_SERVERNAME: 'elsewhere.invalid' }),
    ).toMatch(
      /the server's certificate is not for the name connected to \(.*elsewhere\.invalid.*\); use a name it has in REDIS_URL, or set REDIS_TLS_SERVERNAME/,
    );
    const settings = loadGateSettings({
      ...gateEnv(topics, { EVENTS_FILE: events.path(), ...asGateUser() }),
      REDIS_TLS_SERVERNAME: 'localhost',
    });
    const named = new Gate({ settings, logger: pino({ level: 'silent' }), background: false });
    try {
      await named.start({ listen: false });
      expect(await named.redis.ping()).toBe('PONG');
    } finally {
      await named.stop();
    }
  });

  it('refuses a wrong password and the default user with WRONGPASS or NOAUTH at start-up', async () => {
    expect(
      await startFails({ ...asGateUser(), REDIS_PASSWORD_FILE: '', REDIS_PASSWORD: 'not-it' }),
    ).toMatch(
      /as user rediclaim: Redis refused the user and password \(WRONGPASS .*\); check REDIS_USERNAME and REDIS_PASSWORD or REDIS_PASSWORD_FILE/,
    );
    expect(
      await startFails({ ...asGateUser(), REDIS_USERNAME: '', REDIS_PASSWORD_FILE: '' }),
    ).toMatch(/: Redis wants a user and password \(NOAUTH .*\); set REDIS_USERNAME/);
    // `default` is off, whatever the password.
    const password = readFileSync(tls.passwordFile, 'utf8');
    expect(
      await startFails({
        ...asGateUser(),
        REDIS_USERNAME: 'default',
        REDIS_PASSWORD_FILE: '',
        REDIS_PASSWORD: password,
      }),
    ).toMatch(/as user default: Redis refused the user and password \(WRONGPASS/);
  });
});
