// Every Kafka client of the platform over TLS and SASL: a broker of this suite's own that
// listens only on SASL_SSL (hack/stack's RC_KAFKA_SASL=1: hack/lib/tls.sh's certificates,
// SCRAM-SHA-512 users), the rest of the shared test stack as it is. The gates, the
// issuer (its consumer, producer and outbox relay) and the operator (topics) run a sale
// through it; clients that speak plaintext, trust another authority or give a wrong
// password are refused.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import {
  stackEnv,
  stackKafka,
  startE2E,
  startPrivateStack,
  type E2E,
  type PrivateStack,
  type StackEnv,
} from '@rediclaim/hack/testing';
import { runCrowd } from '../../src/crowd/crowd.js';
import { checkInvariants } from '../../src/demo/invariants.js';
import { gateKnows, saleSpec } from '../support/e2e.js';

let broker: PrivateStack;
let env: StackEnv;
let e2e: E2E;

beforeAll(async () => {
  broker = await startPrivateStack('sasl', ['kafka'], { kafkaSasl: true });
  env = { ...stackEnv(), kafkaBrokers: broker.env.kafkaBrokers, kafkaSasl: broker.env.kafkaSasl };
  e2e = await startE2E('e2e-sasl', ['shop'], { env, gates: 2 });
}, 240_000);

afterAll(async () => {
  await e2e?.stop();
  await broker?.destroy();
});

/** How a client that tries `config` against the SASL_SSL broker fails to list topics. */
async function refusal(config: Partial<KafkaConfig>): Promise<Error> {
  const admin = new Kafka({
    clientId: 'sasl-hostile',
    brokers: env.kafkaBrokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    retry: { retries: 0 },
    ...config,
  }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
  } catch (error) {
    return error as Error;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  throw new Error('the broker answered a client it should have refused');
}

describe('Kafka over TLS with SCRAM-SHA-512', () => {
  it('carries a sale through gates, issuer and operator with every invariant intact', async () => {
    const eventId = `${e2e.id}-sale`;
    await e2e.apply('shop', 'sale', saleSpec({ eventId, stock: 100, rate: 200 }));
    await gateKnows(e2e.platform.gateUrls[0]!, eventId);
    const report = await runCrowd({
      gateUrls: e2e.platform.gateUrls,
      eventId,
      users: 300,
      arrivalSeconds: 1,
      userIdPrefix: 's-',
    });
    const checks = await checkInvariants({
      mysql: e2e.platform.mysqlUrl,
      tenant: e2e.tenants.shop!,
      eventId,
      stock: 100,
      perUserLimit: 1,
      report,
    });
    expect(checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
    expect(report.outcomes).toEqual({ ISSUED: 100, SOLD_OUT: 200 });
    // The topics the services created, and the lifecycle events the relay published,
    // are on this broker: nothing went anywhere else.
    const admin = stackKafka(env, 'sasl-check').admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toEqual(
        expect.arrayContaining([`${e2e.id}.requests`, `${e2e.id}.results`, `${e2e.id}.coupons`]),
      );
    } finally {
      await admin.disconnect();
    }
  }, 120_000);

  it('refuses a plaintext client', async () => {
    const error = await refusal({});
    expect(error.message).toMatch(/Closed connection|Connection error|timeout/i);
  });

  it('refuses a wrong password, naming the mechanism', async () => {
    const error = await refusal({
      ssl: { ca: readFileSync(env.kafkaSasl!.caFile, 'utf8') },
      sasl: { mechanism: 'scram-sha-512', username: env.kafkaSasl!.username, password: 'wrong' },
    });
    expect(error.name).toBe('KafkaJSSASLAuthenticationError');
    expect(error.message).toContain('SCRAM SHA512 authentication failed');
  });

  it('is refused by a client that trusts another authority', async () => {
    const error = await refusal({
      ssl: { ca: readFileSync(env.kafkaSasl!.otherCaFile, 'utf8') },
      sasl: {
        mechanism: 'scram-sha-512',
        username: env.kafkaSasl!.username,
        password: readFileSync(env.kafkaSasl!.passwordFile, 'utf8').trim(),
      },
    });
    expect(error.message).toMatch(/unable to verify|self.signed|certificate/i);
  });
});
