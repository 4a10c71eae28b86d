import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPrivateStack, type PrivateStack } from '@rediclaim/hack/testing';
import { expectInvariants } from './support/invariants.js';
import { eventually } from './support/eventually.js';
import { startIssuerProcess } from './support/issuers.js';
import { ledgerOf } from './support/ledger.js';
import { metricValue } from './support/metrics.js';
import { crowd, policy } from './support/requests.js';
import { resultReader } from './support/results.js';
import { closeScenario, produce, scenarioOn, type Scenario } from './support/scenario.js';

// A MariaDB of its own, restarted under a running issuer process.
describe('an issuer whose database restarts mid-run', () => {
  let stack: PrivateStack;
  let s: Scenario;

  beforeAll(async () => {
    stack = await startPrivateStack('issuer-db', ['mariadb', 'kafka']);
    s = await scenarioOn('dbrestart', stack);
  }, 180_000);
  afterAll(async () => {
    if (s) await closeScenario(s);
    await stack?.destroy();
  }, 60_000);

  it('retries with backoff and loses or duplicates nothing', async () => {
    const results = await resultReader(s);
    const stock = 12_000;
    const everyone = crowd(s.tenant, s.eventId, 15_000, policy({ stock }));
    const issuer = await startIssuerProcess(s, { ISSUER_RETRY_MAX_MS: '500' });
    try {
      await produce(s, everyone.slice(0, 5_000));
      await eventually(
        async () => (await ledgerOf(s)).issued >= 1_000,
        60_000,
        'the first coupons',
      );
      // Restart MariaDB while the rest of the crowd arrives.
      const restarted = stack.stack('restart', 'mariadb');
      await produce(s, everyone.slice(5_000));
      await restarted;

      await results.until(
        (r) => new Set(r.map((x) => x.requestId)).size >= everyone.length,
        180_000,
        'an answer for every request',
      );
      await expectInvariants(s, everyone, results.items, stock);
      const metrics = await issuer.metrics();
      // A restart quick enough for the check to miss is a retried transaction, logged;
      // a slower one is an outage, logged once, found by a deciding transaction or by
      // the outbox relay's session, whichever fails first.
      expect(
        metricValue(metrics, 'rediclaim_issuer_mysql_outages_total') > 0 ||
          /rediclaim_issuer_transaction_failures_total\{code="[A-Z_]+"\} [1-9]/.test(metrics),
      ).toBeTruthy();
      expect(issuer.logs()).toMatch(/deciding transaction failed; retrying|database unreachable/);
      expect(await issuer.stop('SIGTERM')).toBe(0);
    } finally {
      await issuer.stop('SIGKILL');
      await results.stop();
    }
  }, 300_000);

  it('abandons the batch in hand on SIGTERM while the database is down, and a new process finishes it', async () => {
    const eventId = `${s.eventId}-down`;
    const results = await resultReader(s);
    const everyone = crowd(s.tenant, eventId, 2_000, policy({ stock: 1_500 }));
    // No periodic check and no outbox relay (whose failing session would report the
    // outage too): the outage must be met by the transaction of a batch in hand, not
    // found first (fetching would pause, and no batch would be in hand).
    const first = await startIssuerProcess(s, {
      ISSUER_SHUTDOWN_TIMEOUT_MS: '2000',
      MYSQL_CHECK_INTERVAL_MS: '600000',
      OUTBOX_RELAY: 'false',
    });
    let second: typeof first | undefined;
    try {
      await stack.stack('down', 'mariadb');
      await produce(s, everyone);
      await eventually(
        () => /database unreachable/.test(first.logs()),
        60_000,
        'the outage met by a transaction',
      );
      const asked = Date.now();
      expect(await first.stop('SIGTERM')).toBe(0);
      expect(Date.now() - asked).toBeLessThan(15_000);
      expect(first.logs()).toMatch(/abandoning the batches in hand/);

      await stack.stack('up', 'mariadb');
      second = await startIssuerProcess(s);
      await results.until(
        (r) =>
          new Set(r.filter((x) => x.eventId === eventId).map((x) => x.requestId)).size >=
          everyone.length,
        120_000,
        'an answer for every request',
      );
      await expectInvariants({ ...s, eventId }, everyone, results.items, 1_500);
    } finally {
      await first.stop('SIGKILL');
      await second?.stop('SIGKILL');
      await results.stop();
    }
  }, 240_000);
});
