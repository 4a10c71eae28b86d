import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPrivateStack, type PrivateStack } from '@rediclaim/hack/testing';
import { eventually } from './support/eventually.js';
import { expectInvariants } from './support/invariants.js';
import { startIssuerProcess } from './support/issuers.js';
import { ledgerOf } from './support/ledger.js';
import { metricValue } from './support/metrics.js';
import { holdEventLock } from './support/row-lock.js';
import { crowd, policy } from './support/requests.js';
import { resultReader } from './support/results.js';
import { closeScenario, produce, scenarioOn, type Scenario } from './support/scenario.js';

const mariadbPid = (stack: PrivateStack) =>
  Number(readFileSync(stack.env.mariadbPidFile, 'utf8').trim());

async function killMariadb(stack: PrivateStack): Promise<void> {
  const pid = mariadbPid(stack);
  process.kill(pid, 'SIGKILL');
  await eventually(
    () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    10_000,
    'MariaDB to exit',
  );
}

// A MariaDB of its own, killed (SIGKILL) under a running issuer process in the middle of
// a transaction and started again a while later: the outage must be visible, harmless
// and temporary. A kill rather than a clean stop: a clean stop releases the test's row
// lock before it closes the issuer's connection, and the transaction waiting on it
// could still commit; after a kill nothing that waited can have committed.
describe('an issuer whose database goes down mid-sale and comes back', () => {
  let stack: PrivateStack;
  let s: Scenario;

  beforeAll(async () => {
    stack = await startPrivateStack('issuer-outage', ['mariadb', 'kafka']);
    s = await scenarioOn('dboutage', stack);
  }, 180_000);
  afterAll(async () => {
    // Also after a failed start: a stack half up (MariaDB without Kafka) must not outlive the suite.
    if (s) await closeScenario(s, false);
    await stack?.destroy();
  }, 60_000);

  it('pauses, reports not ready but live, resumes by itself, and loses or duplicates nothing', async () => {
    const results = await resultReader(s);
    const stock = 6_000;
    const everyone = crowd(s.tenant, s.eventId, 10_000, policy({ stock }));
    const issuer = await startIssuerProcess(s, {
      ISSUER_RETRY_BASE_MS: '100',
      ISSUER_RETRY_MAX_MS: '1000',
      MYSQL_CHECK_INTERVAL_MS: '1000',
    });
    const base = `http://127.0.0.1:${issuer.port}`;
    const metric = async (name: string) => metricValue(await issuer.metrics(), name);
    const logLines = () =>
      issuer
        .logs()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: string; msg: string });
    try {
      expect(await metric('rediclaim_issuer_mysql_up')).toBe(1);
      const answered = () => new Set(results.items.map((r) => r.requestId)).size;
      const firstHalf = everyone.slice(0, 5_000);
      await produce(s, firstHalf.slice(0, 100));
      await results.until((r) => r.length >= 100, 60_000, 'the first answers');
      expect((await ledgerOf(s)).issued).toBe(100);

      // The rest of the first half is fetched and its transaction waits on the event row
      // (held by the test): the database stops in the middle of that transaction.
      const lock = await holdEventLock(s);
      try {
        await produce(s, firstHalf.slice(100));
        await eventually(
          async () =>
            (await metric('rediclaim_issuer_batch_requests_sum')) >= firstHalf.length &&
            (await lock.waiting()) >= 1,
          30_000,
          'the first half in hand, its transaction waiting on the row lock',
        );
      } catch (error) {
        await lock.release();
        throw error;
      }
      const downAt = Date.now();
      await killMariadb(stack);
      await lock.release();
      await eventually(
        async () => (await metric('rediclaim_issuer_mysql_up')) === 0,
        30_000,
        'mysql_up 0',
      );
      // Nothing the interrupted transaction held was answered (it never committed).
      expect(answered()).toBe(100);
      // The second half arrives during the outage: it must wait in Kafka, not be fetched.
      await produce(s, everyone.slice(5_000));

      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      const report = (await ready.json()) as {
        ready: boolean;
        checks: Record<string, { ok: boolean; detail?: string }>;
      };
      expect(report.ready).toBe(false);
      expect(report.checks.database!.ok).toBe(false);
      expect(report.checks.database!.detail).toMatch(
        /^database unreachable since \d{4}-\d\d-\d\dT[\d:.]+Z \(\d+ failed checks?, last: [A-Z_]+: .+\); issuing is paused and requests wait in Kafka until it answers$/,
      );
      expect(report.checks.consumer).toEqual({
        ok: true,
        detail: 'in the consumer group; fetching paused until the database answers',
      });
      const live = await fetch(`${base}/healthz`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });

      expect(await metric('rediclaim_issuer_mysql_outages_total')).toBe(1);
      const since = await metric('rediclaim_issuer_mysql_down_since_seconds');
      expect(since * 1000).toBeGreaterThan(downAt - 60_000);
      expect(since * 1000).toBeLessThanOrEqual(Date.now());
      // The checks go on, paced by the backoff (0.1 s doubling to 1 s): never a hot loop.
      const failedChecks = async () =>
        [
          ...(await issuer.metrics()).matchAll(
            /^rediclaim_issuer_mysql_check_failures_total\{code="[A-Z_]+"\} (\d+)$/gm,
          ),
        ].reduce((sum, m) => sum + Number(m[1]), 0);
      await eventually(async () => (await failedChecks()) >= 6, 30_000, 'six failed checks');
      const checks = await failedChecks();
      expect(checks).toBeLessThanOrEqual(6 + (Date.now() - downAt) / 500);
      // Fetching stopped at the outage: not one message of the second half was taken.
      expect(await metric('rediclaim_issuer_batch_requests_sum')).toBeLessThanOrEqual(
        firstHalf.length,
      );
      expect(answered()).toBe(100);

      await stack.stack('up', 'mariadb');
      await results.until(
        (r) => new Set(r.map((x) => x.requestId)).size >= everyone.length,
        120_000,
        'an answer for every request',
      );
      await expectInvariants(s, everyone, results.items, stock);

      expect(await metric('rediclaim_issuer_mysql_up')).toBe(1);
      expect(await metric('rediclaim_issuer_mysql_down_since_seconds')).toBe(0);
      expect(await metric('rediclaim_issuer_mysql_outages_total')).toBe(1);
      expect(await metric('rediclaim_issuer_mysql_outage_seconds_total')).toBeGreaterThan(0);
      const readyAgain = await fetch(`${base}/readyz`);
      expect(readyAgain.status).toBe(200);
      expect(await readyAgain.json()).toEqual({
        ready: true,
        checks: { database: { ok: true }, consumer: { ok: true } },
      });

      // The outage is told twice, when it began and when it ended; not at every retry.
      const lines = logLines();
      const began = lines.filter((l) => l.msg.startsWith('database unreachable'));
      const ended = lines.filter((l) => l.msg.startsWith('database reachable again'));
      expect(began.map((l) => l.level)).toEqual(['error']);
      expect(ended.map((l) => l.level)).toEqual(['info']);
      // The interrupted transaction failed, was counted, and retried without a line of its own.
      expect(
        /rediclaim_issuer_transaction_failures_total\{code="[A-Z_]+"\} [1-9]/.test(
          await issuer.metrics(),
        ),
      ).toBe(true);
      const retries = lines.filter((l) => l.msg.startsWith('deciding transaction failed'));
      expect(retries.filter((l) => l.level === 'warn')).toEqual([]);
      expect(lines.filter((l) => l.level === 'fatal')).toEqual([]);
      expect(await issuer.stop('SIGTERM')).toBe(0);
    } finally {
      await issuer.stop('SIGKILL');
      await results.stop();
    }
  }, 300_000);
  it('takes a database that hangs (accepts connections, never answers) for an outage too', async () => {
    const eventId = `${s.eventId}-hang`;
    const results = await resultReader(s);
    const everyone = crowd(s.tenant, eventId, 1_000, policy({ stock: 600 }));
    const issuer = await startIssuerProcess(s, {
      ISSUER_RETRY_BASE_MS: '100',
      ISSUER_RETRY_MAX_MS: '1000',
      MYSQL_CHECK_INTERVAL_MS: '1000',
    });
    const base = `http://127.0.0.1:${issuer.port}`;
    const pid = mariadbPid(stack);
    try {
      await produce(s, everyone.slice(0, 100));
      await results.until(
        (r) => r.filter((x) => x.eventId === eventId).length >= 100,
        60_000,
        'the first answers',
      );
      process.kill(pid, 'SIGSTOP');
      await eventually(
        async () => metricValue(await issuer.metrics(), 'rediclaim_issuer_mysql_up') === 0,
        30_000,
        'mysql_up 0',
      );
      // Readiness answers at once from the monitor's verdict: the probe never hangs.
      const asked = Date.now();
      const ready = await fetch(`${base}/readyz`);
      expect(Date.now() - asked).toBeLessThan(1_000);
      expect(ready.status).toBe(503);
      const report = (await ready.json()) as { checks: { database: { detail?: string } } };
      expect(report.checks.database.detail).toMatch(
        /^database unreachable since .*last: PING_TIMEOUT: no answer to SELECT 1 within 2000 ms\)/,
      );
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      await produce(s, everyone.slice(100));
      process.kill(pid, 'SIGCONT');

      await results.until(
        (r) =>
          new Set(r.filter((x) => x.eventId === eventId).map((x) => x.requestId)).size >=
          everyone.length,
        120_000,
        'an answer for every request',
      );
      await expectInvariants({ ...s, eventId }, everyone, results.items, 600);
      await eventually(
        async () => (await fetch(`${base}/readyz`)).status === 200,
        30_000,
        'ready again',
      );
      expect(await issuer.stop('SIGTERM')).toBe(0);
    } finally {
      process.kill(pid, 'SIGCONT');
      await issuer.stop('SIGKILL');
      await results.stop();
    }
  }, 180_000);
});
