import { describe, expect, it } from '@jest/globals';
import { AbandonedError, DecisionReporter, IssuerMetrics } from '@rediclaim/issuer';
import { capturingLogger } from './support/logs.js';

const key = { tenant: 'shop', eventId: 'sale', uid: 'u-1' };
const deadlock = Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK' });
const lost = Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' });

describe('reporting failed transactions', () => {
  it('warns of each failure while the database answers (a deadlock is news every time)', async () => {
    const { logger, lines } = capturingLogger();
    const metrics = new IssuerMetrics();
    const reporter = new DecisionReporter(metrics, logger, () => false);
    reporter.failed(key, deadlock, 1, 100);
    reporter.failed(key, deadlock, 2, 200);
    expect(lines().filter((l) => l.level === 40)).toHaveLength(2);
    expect(await metrics.registry.metrics()).toContain(
      'rediclaim_issuer_transaction_failures_total{code="ER_LOCK_DEADLOCK"} 2',
    );
  });

  it('counts but does not log the failures of an outage, which is logged once on its own', async () => {
    const { logger, lines } = capturingLogger();
    const metrics = new IssuerMetrics();
    const reporter = new DecisionReporter(metrics, logger, () => true);
    for (let attempt = 1; attempt <= 5; attempt++) reporter.failed(key, lost, attempt, 100);
    expect(lines()).toEqual([]);
    expect(await metrics.registry.metrics()).toContain(
      'rediclaim_issuer_transaction_failures_total{code="PROTOCOL_CONNECTION_LOST"} 5',
    );
  });

  it('takes a step given up at shutdown for no failed transaction', async () => {
    const { logger, lines } = capturingLogger();
    const metrics = new IssuerMetrics();
    new DecisionReporter(metrics, logger).failed(key, new AbandonedError(), 1, 100);
    expect(lines()).toEqual([]);
    expect(await metrics.registry.metrics()).not.toMatch(/transaction_failures_total\{/);
  });
});
