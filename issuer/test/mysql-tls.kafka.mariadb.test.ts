import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase } from '@rediclaim/hack/testing';
import type { Issuer } from '@rediclaim/issuer';
import { startIssuer } from './support/issuers.js';
import { couponEventReader, type Published } from './support/outbox.js';
import { crowd, policy } from './support/requests.js';
import { resultReader } from './support/results.js';
import { closeScenario, produce, scenario, type Scenario } from './support/scenario.js';
import { startTlsMariadb } from './support/tls-mariadb.js';
import type { TopicReader } from './support/topic-reader.js';
import type { IssueResult } from '@rediclaim/core';

// A whole issuer (dialect detection, migrations, pool, readiness, the outbox relay's
// session) against a private MariaDB that talks TLS only, with the test stack's Kafka.
describe('the issuer with MYSQL_TLS_MODE=verify-identity against a TLS-only MariaDB', () => {
  let tlsServer: Awaited<ReturnType<typeof startTlsMariadb>>;
  let s: Scenario;
  let issuer: Issuer;
  let results: TopicReader<IssueResult>;
  let coupons: TopicReader<Published>;

  beforeAll(async () => {
    tlsServer = await startTlsMariadb('mytls-issuer');
    const db = await createTestDatabase('issuer_tls', tlsServer.stack.env);
    s = await scenario('mytls', 2, undefined, db);
    issuer = await startIssuer(s, {
      MYSQL_TLS_MODE: 'verify-identity',
      MYSQL_TLS_CA: tlsServer.files.caFile,
    });
    [results, coupons] = await Promise.all([resultReader(s), couponEventReader(s)]);
  }, 120_000);
  afterAll(async () => {
    await results?.stop();
    await coupons?.stop();
    await issuer?.stop();
    if (s) await closeScenario(s);
    await tlsServer?.stack.destroy();
  });

  it('issues, is ready and relays the coupons’ events, every connection over TLS', async () => {
    const requests = crowd(s.tenant, s.eventId, 12, policy({ stock: 8 }));
    await produce(s, requests);
    await results.until((r) => r.length >= 12, 60_000, '12 answers');
    const issued = results.items.filter((r) => r.outcome === 'ISSUED');
    expect(issued).toHaveLength(8);
    // The relay publishes from its own GET_LOCK session: it too reached the server.
    await coupons.until(
      (events) => events.filter((e) => e.event.type === 'CouponIssued').length >= 8,
      60_000,
      '8 CouponIssued events',
    );
    expect(await issuer.readiness()).toMatchObject({
      ready: true,
      checks: { database: { ok: true } },
    });
  });
});
