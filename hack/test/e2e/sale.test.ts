// End to end through the real path: CouponEvent on the API server → operator →
// ConfigMap → gate → Redis → Kafka → issuer → MariaDB → results → gate → shopper.
// Every process is the built service; every server is real (the shared test stack).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startE2E, type E2E } from '@rediclaim/hack/testing';
import { runCrowd } from '../../src/crowd/crowd.js';
import { checkInvariants } from '../../src/demo/invariants.js';
import {
  couponEventStatus,
  issuedIn,
  gateKnows,
  gateStats,
  join,
  saleSpec,
  statusOf,
  waitFor,
} from '../support/e2e.js';

let e2e: E2E;
let gate: string;

beforeAll(async () => {
  e2e = await startE2E('e2e-sale', ['shop-a', 'shop-b'], { gates: 2 });
  gate = e2e.platform.gateUrls[0]!;
}, 120_000);

afterAll(async () => {
  await e2e?.stop();
});

const failed = (checks: { ok: boolean; name: string; detail: string }[]) =>
  checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);

describe('a sale through the whole platform', () => {
  it('sells exactly the stock to the earliest of a larger crowd, and everyone learns the outcome', async () => {
    const eventId = `${e2e.id}-crowd`;
    await e2e.apply('shop-a', 'crowd', saleSpec({ eventId, stock: 100, rate: 200 }));
    await gateKnows(gate, eventId);
    const report = await runCrowd({
      gateUrls: e2e.platform.gateUrls,
      eventId,
      users: 600,
      arrivalSeconds: 1,
      userIdPrefix: 'c-',
    });
    const checks = await checkInvariants({
      mysql: e2e.platform.mysqlUrl,
      tenant: e2e.tenants['shop-a']!,
      eventId,
      stock: 100,
      perUserLimit: 1,
      report,
    });
    expect(failed(checks)).toEqual([]);
    expect(report.outcomes).toEqual({ ISSUED: 100, SOLD_OUT: 500 });
    const status = await waitFor('phase SoldOut with counts', async () => {
      const s = await couponEventStatus(e2e, 'shop-a', 'crowd');
      return s?.phase === 'SoldOut' && s.counts?.issued === 100 ? s : undefined;
    });
    expect(status.counts).toMatchObject({ issued: 100, remaining: 0 });
  });

  it('sells a proof-of-work sale: every shopper solves one challenge, and the stock sells exactly', async () => {
    const eventId = `${e2e.id}-pow`;
    const spec = saleSpec({ eventId, stock: 50, rate: 200 });
    // Cheap on purpose (a few ms a join): this proves the path, hack/bench pow the cost.
    await e2e.apply('shop-a', 'pow', {
      ...spec,
      admission: { ...spec.admission, proofOfWork: { enabled: true, difficulty: 2_000 } },
    });
    await gateKnows(gate, eventId);
    const report = await runCrowd({
      gateUrls: e2e.platform.gateUrls,
      eventId,
      users: 200,
      arrivalSeconds: 1,
      userIdPrefix: 'pow-',
    });
    const checks = await checkInvariants({
      mysql: e2e.platform.mysqlUrl,
      tenant: e2e.tenants['shop-a']!,
      eventId,
      stock: 50,
      perUserLimit: 1,
      report,
    });
    expect(failed(checks)).toEqual([]);
    expect(report.outcomes).toEqual({ ISSUED: 50, SOLD_OUT: 150 });
    // The first joins are refused (428) until the crowd knows to solve; then each shopper
    // solves once: no solution is refused, none spent twice.
    expect(report.pow.solved).toBe(200);
    expect(report.errors).toEqual({ http5xx: 0, http503: 0, http429: 0, http4xx: 0, network: 0 });
    // What the gates counted agrees: 200 solutions accepted, none refused; some joins
    // came without one before the crowd knew.
    const results: Record<string, number> = {};
    for (const admin of e2e.platform.gateAdminUrls) {
      const page = await (
        await fetch(`${admin}/metrics`, {
          headers: { authorization: `Bearer ${e2e.platform.adminToken}` },
        })
      ).text();
      for (const m of page.matchAll(/^rediclaim_gate_pow_solutions_total\{([^}]*)\} (\d+)$/gm)) {
        if (!m[1]!.includes(`event="${eventId}"`)) continue;
        const result = /result="([^"]+)"/.exec(m[1]!)![1]!;
        results[result] = (results[result] ?? 0) + Number(m[2]);
      }
    }
    expect(results).toMatchObject({
      accepted: 200,
      malformed: 0,
      expired: 0,
      invalid: 0,
      other_event: 0,
      replayed: 0,
    });
    expect(results.missing).toBeGreaterThan(0);
  });

  it('runs two events in two namespaces side by side without either seeing the other', async () => {
    const a = `${e2e.id}-a`;
    const b = `${e2e.id}-b`;
    await e2e.apply('shop-a', 'side-a', saleSpec({ eventId: a, stock: 40, rate: 100 }));
    await e2e.apply('shop-b', 'side-b', saleSpec({ eventId: b, stock: 70, rate: 100 }));
    await gateKnows(gate, a);
    await gateKnows(gate, b);
    // The same shoppers go to both sales: one coupon each per event is allowed.
    const [ra, rb] = await Promise.all([
      runCrowd({
        gateUrls: e2e.platform.gateUrls,
        eventId: a,
        users: 200,
        arrivalSeconds: 1,
        userIdPrefix: 'both-',
      }),
      runCrowd({
        gateUrls: e2e.platform.gateUrls,
        eventId: b,
        users: 200,
        arrivalSeconds: 1,
        userIdPrefix: 'both-',
      }),
    ]);
    const checksA = await checkInvariants({
      mysql: e2e.platform.mysqlUrl,
      tenant: e2e.tenants['shop-a']!,
      eventId: a,
      stock: 40,
      perUserLimit: 1,
      report: ra,
    });
    const checksB = await checkInvariants({
      mysql: e2e.platform.mysqlUrl,
      tenant: e2e.tenants['shop-b']!,
      eventId: b,
      stock: 70,
      perUserLimit: 1,
      report: rb,
    });
    expect([...failed(checksA), ...failed(checksB)]).toEqual([]);
    expect([ra.outcomes.ISSUED, rb.outcomes.ISSUED]).toEqual([40, 70]);
  });

  it('sells the added coupons when the stock is raised mid-sale', async () => {
    const eventId = `${e2e.id}-raise`;
    await e2e.apply('shop-a', 'raise', saleSpec({ eventId, stock: 30, rate: 20 }));
    await gateKnows(gate, eventId);
    const crowd = runCrowd({
      gateUrls: e2e.platform.gateUrls,
      eventId,
      users: 150,
      arrivalSeconds: 0,
      userIdPrefix: 'r-',
      giveUpMs: 90_000,
    });
    await waitFor('the first coupons', async () => (await issuedIn(e2e, eventId)) >= 10);
    await e2e.patchSpec('shop-a', 'raise', { coupon: { stock: 80 } });
    const report = await crowd;
    const checks = await checkInvariants({
      mysql: e2e.platform.mysqlUrl,
      tenant: e2e.tenants['shop-a']!,
      eventId,
      stock: 80,
      perUserLimit: 1,
      report,
    });
    expect(failed(checks)).toEqual([]);
    expect(report.outcomes.ISSUED).toBe(80);
  }, 120_000);

  it('holds everyone in place while paused and admits them again on resume', async () => {
    const eventId = `${e2e.id}-pause`;
    await e2e.apply('shop-b', 'pause', saleSpec({ eventId, stock: 500, rate: 50, paused: true }));
    await gateKnows(gate, eventId);
    for (let i = 0; i < 20; i++)
      expect((await join(gate, eventId, `p-${i}`)).status).toBe('WAITING');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await gateStats(e2e, 'shop-b', eventId)).admittedTotal).toBe(0);
    expect(await couponEventStatus(e2e, 'shop-b', 'pause')).toMatchObject({ phase: 'Paused' });
    expect((await statusOf(gate, eventId, 'p-0')).rank).toBe(1);

    await e2e.patchSpec('shop-b', 'pause', { admission: { mode: 'fifo' } });
    await waitFor(
      'every paused shopper to get a coupon',
      async () => (await issuedIn(e2e, eventId)) === 20,
    );
    // MySQL commits before the result reaches the gate through Kafka: the gate
    // may still say PROCESSING for a moment, so wait for it to learn, too.
    await waitFor(
      'the gate to tell the last shopper',
      async () => (await statusOf(gate, eventId, 'p-19')).status === 'ISSUED',
    );
  });

  it('refuses joins before opening and after closing, and tells waiting shoppers the sale ended', async () => {
    const eventId = `${e2e.id}-sched`;
    // Paused so the shoppers who join stay in the queue until the close.
    await e2e.apply('shop-a', 'sched', {
      ...saleSpec({
        eventId,
        stock: 10,
        rate: 5,
        opensInMs: 4_000,
        closesInMs: 9_000,
        paused: true,
      }),
    });
    await gateKnows(gate, eventId);
    expect((await join(gate, eventId, 'early')).status).toBe('EVENT_NOT_OPEN');
    expect(
      await waitFor(
        'phase Scheduled',
        async () => (await couponEventStatus(e2e, 'shop-a', 'sched'))?.phase === 'Scheduled',
      ),
    ).toBe(true);

    await waitFor(
      'the opening',
      async () => (await join(gate, eventId, 'on-time')).status === 'WAITING',
      10_000,
    );
    await waitFor(
      'phase Paused (open, admission held)',
      async () => (await couponEventStatus(e2e, 'shop-a', 'sched'))?.phase === 'Paused',
    );

    await waitFor(
      'the close',
      async () => (await statusOf(gate, eventId, 'on-time')).status === 'EVENT_CLOSED',
      15_000,
    );
    expect((await join(gate, eventId, 'late')).status).toBe('EVENT_CLOSED');
    await waitFor(
      'phase Closed',
      async () => (await couponEventStatus(e2e, 'shop-a', 'sched'))?.phase === 'Closed',
    );
  }, 60_000);

  it('tells shoppers still waiting that the sale was deleted, and lets the CouponEvent go', async () => {
    const eventId = `${e2e.id}-gone`;
    await e2e.apply('shop-b', 'gone', saleSpec({ eventId, stock: 10, rate: 10, paused: true }));
    await gateKnows(gate, eventId);
    for (let i = 0; i < 5; i++) await join(gate, eventId, `g-${i}`);
    await e2e.remove('shop-b', 'gone');
    const told = await waitFor('waiting shoppers to learn the sale ended', async () => {
      const s = await statusOf(gate, eventId, 'g-3');
      return s.status === 'EVENT_CLOSED' ? s : undefined;
    });
    expect(told.reason).toBe('EVENT_DELETED');
    await waitFor('the finalizer to let the CouponEvent go', async () => {
      try {
        await couponEventStatus(e2e, 'shop-b', 'gone');
        return undefined;
      } catch (error) {
        return (error as { code?: number }).code === 404;
      }
    });
  });
});
