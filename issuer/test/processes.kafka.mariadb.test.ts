import { describe, expect, it } from '@jest/globals';
import { startService } from '@rediclaim/hack/testing';
import { expectInvariants } from './support/invariants.js';
import { eventually } from './support/eventually.js';
import { envFor, startIssuerProcess } from './support/issuers.js';
import { ledgerOf } from './support/ledger.js';
import { metricValue } from './support/metrics.js';
import { crowd, policy } from './support/requests.js';
import { resultReader } from './support/results.js';
import { closeScenario, produce, scenario } from './support/scenario.js';

// Issuer processes (issuer/dist/main.js, run as in production) in one consumer group,
// against the test stack's Kafka and MariaDB. Build first: npx tsc -b issuer.
describe('issuer processes', () => {
  it('share the partitions two, then three in one group, and the invariants hold', async () => {
    const s = await scenario('procs', 6);
    const results = await resultReader(s);
    const started = [await startIssuerProcess(s), await startIssuerProcess(s)];
    try {
      const p = policy({ stock: 2_500 });
      const everyone = crowd(s.tenant, s.eventId, 3_000, p);
      const first = everyone.slice(0, 1_500);
      await produce(s, [...first, ...first.filter((_, i) => i % 5 === 0)]);
      await results.until((r) => r.length >= 500, 60_000, 'the first answers');

      started.push(await startIssuerProcess(s));
      await eventually(
        () => started.every((proc) => /joined the consumer group/.test(proc.logs())),
        30_000,
        'every process in the group',
      );
      const second = everyone.slice(1_500);
      await produce(s, [...second.reverse(), ...second.filter((_, i) => i % 7 === 0)]);
      await results.until(
        (r) => new Set(r.map((x) => x.requestId)).size >= 3_000,
        120_000,
        'an answer for every request',
      );
      await expectInvariants(s, everyone, results.items, 2_500);

      // Each process decided some of the batches.
      for (const proc of started) {
        expect(
          metricValue(await proc.metrics(), 'rediclaim_issuer_batch_messages_count'),
        ).toBeGreaterThan(0);
      }
      const codes = await Promise.all(started.map((proc) => proc.stop('SIGTERM')));
      expect(codes).toEqual([0, 0, 0]);
      for (const proc of started) expect(proc.logs()).toMatch(/"msg":"issuer stopped"/);
    } finally {
      await Promise.all(started.map((proc) => proc.stop('SIGKILL')));
      await results.stop();
      await closeScenario(s);
    }
  }, 240_000);

  it('lose and duplicate nothing when one is killed with SIGKILL mid-batch and restarted', async () => {
    const s = await scenario('kill9', 6);
    const results = await resultReader(s);
    const stock = 15_000;
    const everyone = crowd(s.tenant, s.eventId, 20_000, policy({ stock }));
    // A first wave, then the rest while the issuer is killed: it decides ~27,000/s, so a
    // crowd produced at once could be all decided between two looks at the ledger.
    await produce(s, everyone.slice(0, 3_000));
    // Small fetches and transactions: the crowd takes many batches, so the kill lands mid-run.
    const small = {
      ISSUER_FETCH_MAX_BYTES_PER_PARTITION: '32768',
      ISSUER_MAX_TRANSACTION_REQUESTS: '1000',
    };
    const victim = await startIssuerProcess(s, small);
    let survivor: typeof victim | undefined;
    try {
      // Kill it while it is deciding: some coupons committed, most not yet.
      await eventually(
        async () => (await ledgerOf(s)).issued >= 1_000,
        120_000,
        'the first thousand coupons',
      );
      const rest = produce(s, everyone.slice(3_000));
      expect(await victim.stop('SIGKILL')).toBe(null);
      await rest;
      const issuedAtKill = (await ledgerOf(s)).issued;
      expect(issuedAtKill).toBeLessThan(stock);

      survivor = await startIssuerProcess(s, small);
      await results.until(
        (r) => new Set(r.map((x) => x.requestId)).size >= everyone.length,
        180_000,
        'an answer for every request',
      );
      await expectInvariants(s, everyone, results.items, stock);
      expect(await survivor.stop('SIGTERM')).toBe(0);
    } finally {
      await victim.stop('SIGKILL');
      await survivor?.stop('SIGKILL');
      await results.stop();
      await closeScenario(s);
    }
  }, 300_000);

  it('exits with code 2 and names the setting that is wrong', async () => {
    const s = await scenario('badenv', 1);
    try {
      const proc = await startService(
        'issuer',
        envFor(s, { COUPON_CODE_SECRET: 'short', MIGRATE_ON_START: 'maybe' }),
      );
      expect(await proc.exited).toBe(2);
      expect(proc.logs()).toContain('issuer settings are invalid:');
      expect(proc.logs()).toContain('MIGRATE_ON_START: must be true or false');
      expect(proc.logs()).toContain('COUPON_CODE_SECRET: must be at least 16 characters');
    } finally {
      await closeScenario(s);
    }
  });
});
