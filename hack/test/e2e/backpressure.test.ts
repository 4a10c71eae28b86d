// Backpressure through the whole platform: the real issuer is frozen (SIGSTOP) mid-sale,
// as a CPU-starved pod or a stalled database would stop it; the gates must admit slower
// by themselves and the CouponEvent must say so (AdmittingAtRate, status.admission, an
// Event); once it runs again (SIGCONT) the sale returns to its rate and ends with every
// invariant intact.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { startE2E, type E2E } from '@rediclaim/hack/testing';
import { runCrowd } from '../../src/crowd/crowd.js';
import { checkInvariants } from '../../src/demo/invariants.js';
import { couponEventStatus, gateKnows, issuedIn, saleSpec, waitFor } from '../support/e2e.js';

const RATE = 150;
const STOCK = 2_000;
let e2e: E2E;

beforeAll(async () => {
  e2e = await startE2E('e2e-bp', ['shop'], {
    gates: 1,
    extraEnv: {
      gate: { ADMISSION_OVERDUE_MS: '1000' },
      operator: { STATS_POLL_SECONDS: '0.5' },
    },
  });
}, 120_000);

afterAll(async () => {
  await e2e?.stop();
});

const admittingAtRate = async () =>
  (await couponEventStatus(e2e, 'shop', 'bp'))?.conditions?.find(
    (c) => c.type === 'AdmittingAtRate',
  );

function signalIssuers(signal: NodeJS.Signals): void {
  for (const issuer of e2e.platform.issuers()) process.kill(issuer.pid, signal);
}

describe('a sale whose issuer stops keeping up', () => {
  it('is admitted slower while the issuer is frozen, says so on the CouponEvent, and recovers', async () => {
    const eventId = `${e2e.id}-bp`;
    await e2e.apply('shop', 'bp', saleSpec({ eventId, stock: STOCK, rate: RATE }));
    await gateKnows(e2e.platform.gateUrls[0]!, eventId);
    const crowd = runCrowd({
      gateUrls: e2e.platform.gateUrls,
      eventId,
      users: STOCK,
      arrivalSeconds: 1,
      userIdPrefix: 'bp-',
      giveUpMs: 150_000,
    });
    await waitFor('the first coupons', async () => (await issuedIn(e2e, eventId)) >= 100, 60_000);
    expect(await admittingAtRate()).toMatchObject({ status: 'True', reason: 'ConfiguredRate' });

    signalIssuers('SIGSTOP');
    let slowed;
    try {
      slowed = await waitFor(
        'the CouponEvent to say admission is slowed',
        async () => {
          const status = await couponEventStatus(e2e, 'shop', 'bp');
          const condition = status?.conditions?.find((c) => c.type === 'AdmittingAtRate');
          return condition?.reason === 'IssuanceBehind' ? status : undefined;
        },
        15_000,
      );
    } finally {
      signalIssuers('SIGCONT');
    }
    expect(slowed.admission?.configuredPerSecond).toBe(RATE);
    expect(slowed.admission?.allowedPerSecond).toBeLessThanOrEqual(RATE / 2);
    // Slowed down is an observation, not a failure of the configuration.
    expect(slowed.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    await waitFor(
      'admission back at the configured rate',
      async () => (await admittingAtRate())?.reason === 'ConfiguredRate',
      40_000,
    );
    const eventsApi = e2e.kc.makeApiClient(k8s.EventsV1Api);
    await waitFor('the Events of the slowdown and the recovery', async () => {
      const list = await eventsApi.listNamespacedEvent({ namespace: e2e.tenants.shop! });
      const told = list.items
        .filter((e) => e.regarding?.name === 'bp')
        .map((e) => `${e.type}/${e.reason}`);
      return told.includes('Warning/AdmissionSlowed') && told.includes('Normal/AdmissionRecovered');
    });

    const report = await crowd;
    const checks = await checkInvariants({
      mysql: e2e.platform.mysqlUrl,
      tenant: e2e.tenants.shop!,
      eventId,
      stock: STOCK,
      perUserLimit: 1,
      report,
    });
    expect(checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
    expect(report.outcomes).toEqual({ ISSUED: STOCK });
  }, 240_000);
});
