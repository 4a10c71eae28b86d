import { expect } from '@jest/globals';
import { startE2E, type E2E, type PrivateStack } from '@rediclaim/hack/testing';
import type { LocalPlatformOptions } from '../../src/platform/local-platform.js';
import { runCrowd, type CrowdReport } from '../../src/crowd/crowd.js';
import { checkInvariants } from '../../src/demo/invariants.js';
import { gateKnows, issuedIn, saleSpec, waitFor } from './e2e.js';

type ExtraEnv = NonNullable<LocalPlatformOptions['extraEnv']>;

/** The operator hands its lease over within seconds, so a fault test need not wait long. */
const quickLease = {
  LEASE_DURATION_SECONDS: '4',
  LEASE_RENEW_DEADLINE_SECONDS: '3',
  LEASE_RETRY_PERIOD_SECONDS: '1',
};

/**
 * A sale of 300 coupons to 900 shoppers at 60 admissions/s (so it lasts several
 * seconds) on the platform of a private stack, with `fault` done once the first coupons
 * are out; then every invariant of the demo, checked against MySQL and what the shoppers
 * were told. `mysqlUrl` names where to check when the fault moved the database.
 */
export async function saleSurvives(
  stack: PrivateStack,
  name: string,
  fault: (e2e: E2E, eventId: string) => Promise<void>,
  options: { extraEnv?: ExtraEnv; mysqlUrl?: (e2e: E2E) => string } = {},
): Promise<CrowdReport> {
  const extra = options.extraEnv ?? {};
  const e2e = await startE2E(name, ['shop'], {
    env: stack.env,
    gates: 2,
    extraEnv: { ...extra, operator: { ...quickLease, ...extra.operator } },
  });
  try {
    const eventId = `${e2e.id}-sale`;
    const stock = 300;
    await e2e.apply('shop', 'sale', saleSpec({ eventId, stock, rate: 60 }));
    await gateKnows(e2e.platform.gateUrls[0]!, eventId);
    const crowd = runCrowd({
      gateUrls: e2e.platform.gateUrls,
      eventId,
      users: 900,
      arrivalSeconds: 1,
      userIdPrefix: 'f-',
      giveUpMs: 150_000,
    });
    await waitFor('the first coupons', async () => (await issuedIn(e2e, eventId)) >= 40, 60_000);
    await fault(e2e, eventId);
    const report = await crowd;
    const checks = await checkInvariants({
      mysql: options.mysqlUrl?.(e2e) ?? e2e.platform.mysqlUrl,
      tenant: e2e.tenants.shop!,
      eventId,
      stock,
      perUserLimit: 1,
      report,
    });
    // Together, so that a failed check shows what the shoppers were told.
    expect({
      failed: checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
      outcomes: report.outcomes,
    }).toEqual({ failed: [], outcomes: { ISSUED: stock, SOLD_OUT: 900 - stock } });
    return report;
  } finally {
    await e2e.stop();
  }
}
