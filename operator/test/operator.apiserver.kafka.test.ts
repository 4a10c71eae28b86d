// The operator in-process against the real kube-apiserver of the test stack and the real
// Kafka broker, running as the chart's ServiceAccount (a TokenRequest token with the rules
// of charts/rediclaim/templates/operator-rbac.yaml and nothing more). The gate's internal
// API is the contract fake of @rediclaim/hack/testing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConditionType, Phase, type CouponEvent } from '@rediclaim/core';
import { testKafka } from '@rediclaim/hack/testing';
import { buildApp } from '../src/index.js';
import { Fixture, openSpec, waitFor, type RunningOperator } from './support/fixture.js';

const condition = (event: CouponEvent, type: string) =>
  event.status?.conditions?.find((c) => c.type === type);
const configured = (e: CouponEvent) => condition(e, ConditionType.Configured)?.status === 'True';

describe('the operator (real API server, chart RBAC)', () => {
  let fx: Fixture;
  let op: RunningOperator;
  let tenant: string;
  let other: string;

  beforeAll(async () => {
    fx = await Fixture.create({ tenants: 2 });
    [tenant, other] = fx.tenants as [string, string];
    op = await fx.startOperator();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('configures a new CouponEvent: finalizer, gate config, status with live counts, issuer scale', async () => {
    fx.gate.setStats(tenant, 'spring', { waiting: 7, processing: 2, issued: 10, remaining: 90 });
    await fx.apply(
      tenant,
      'spring',
      openSpec({
        admission: { dispatchPerSecond: 5000 },
        issuer: { perReplicaThroughput: 2000, minReplicas: 1, maxReplicas: 4 },
      }),
    );
    const event = await fx.waitForStatus(
      tenant,
      'spring',
      (e) => e.status?.phase === Phase.Open && configured(e),
      'Open and Configured',
    );
    expect(event.metadata.finalizers).toContain('rediclaim.io/cleanup');
    expect(event.status).toMatchObject({
      eventId: 'spring',
      stock: 100,
      counts: { waiting: 7, processing: 2, issued: 10, remaining: 90 },
    });
    expect(condition(event, ConditionType.Accepted)).toMatchObject({
      status: 'True',
      reason: 'Valid',
      observedGeneration: event.metadata.generation,
    });
    expect(condition(event, 'IssuerScaled')?.status).toBe('True');
    expect(await fx.configEvent(tenant, 'spring')).toMatchObject({
      id: 'spring',
      tenant,
      name: 'spring',
      uid: event.metadata.uid,
      generation: event.metadata.generation,
      coupon: { stock: 100, perUserLimit: 1 },
    });
    // ceil(5000 / 2000) = 3 replicas, within the event's hints and the platform's bounds.
    await waitFor('the issuer to scale to 3', async () => (await fx.issuerReplicas()) === 3);
    const events = await waitFor('a Configured Event', async () => {
      const list = await fx.kubeEvents(tenant, 'spring');
      return list.some((e) => e.reason === 'Configured') ? list : undefined;
    });
    expect(events.find((e) => e.reason === 'Configured')?.reportingController).toBe(
      'rediclaim.io/operator',
    );
  });

  it('keeps the counts live while the event is open, and reports SoldOut', async () => {
    fx.gate.setStats(tenant, 'spring', { waiting: 3, processing: 1, issued: 60, remaining: 40 });
    await fx.waitForStatus(tenant, 'spring', (e) => e.status?.counts?.issued === 60, 'issued 60');
    fx.gate.setStats(tenant, 'spring', {
      waiting: 0,
      processing: 0,
      issued: 100,
      remaining: 0,
      soldOut: true,
    });
    const event = await fx.waitForStatus(
      tenant,
      'spring',
      (e) => e.status?.phase === Phase.SoldOut,
      'SoldOut',
    );
    expect(condition(event, ConditionType.SoldOut)).toMatchObject({ status: 'True' });
    // A sold-out event admits nobody: the issuer goes back to the platform minimum.
    await waitFor('the issuer to scale to 1', async () => (await fx.issuerReplicas()) === 1);
  });

  it('follows updates: stock raised, rate changed, paused', async () => {
    fx.gate.setStats(tenant, 'summer', { issued: 0, remaining: 100 });
    await fx.apply(tenant, 'summer', openSpec({ admission: { dispatchPerSecond: 1000 } }));
    await fx.waitForStatus(tenant, 'summer', configured, 'Configured');
    await waitFor('1 issuer', async () => (await fx.issuerReplicas()) === 1);

    const raised = await fx.patchSpec(tenant, 'summer', { coupon: { stock: 250 } });
    await fx.waitForStatus(
      tenant,
      'summer',
      (e) => e.status?.stock === 250 && configured(e),
      'stock 250',
    );
    expect(await fx.configEvent(tenant, 'summer')).toMatchObject({
      generation: raised.metadata.generation,
      coupon: { stock: 250 },
    });

    // 7000/s at the default 2000/s per replica: 4 replicas (the event's default maximum).
    await fx.patchSpec(tenant, 'summer', { admission: { dispatchPerSecond: 7000 } });
    await waitFor('4 issuers', async () => (await fx.issuerReplicas()) === 4);
    expect((await fx.configEvent(tenant, 'summer'))?.admission.dispatchPerSecond).toBe(7000);

    await fx.patchSpec(tenant, 'summer', { admission: { mode: 'paused' } });
    await fx.waitForStatus(tenant, 'summer', (e) => e.status?.phase === Phase.Paused, 'Paused');
    expect((await fx.configEvent(tenant, 'summer'))?.admission.mode).toBe('paused');
    await waitFor('1 issuer while paused', async () => (await fx.issuerReplicas()) === 1);

    await fx.patchSpec(tenant, 'summer', { admission: { mode: 'fifo' } });
    await fx.waitForStatus(tenant, 'summer', (e) => e.status?.phase === Phase.Open, 'Open again');
    await waitFor('4 issuers again', async () => (await fx.issuerReplicas()) === 4);
    const reasons = (await fx.kubeEvents(tenant, 'summer')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['Configured', 'PhaseChanged']));
  });

  it('carries proof of work from the CouponEvent to the gates, spike rule included, and off again', async () => {
    fx.gate.setStats(tenant, 'guarded', { issued: 0, remaining: 100 });
    const on = await fx.apply(
      tenant,
      'guarded',
      openSpec({
        // Paused: it must not add to the issuers the other cases count.
        admission: {
          dispatchPerSecond: 1000,
          mode: 'paused',
          proofOfWork: {
            enabled: true,
            difficulty: 50_000,
            spike: { joinsPerSecond: 200, difficulty: 500_000 },
          },
        },
      }),
    );
    await fx.waitForStatus(tenant, 'guarded', configured, 'Configured');
    // The defaults the API server does not fill in (the CRD has none) come from core.
    expect(await fx.configEvent(tenant, 'guarded')).toMatchObject({
      generation: on.metadata.generation,
      admission: {
        proofOfWork: {
          enabled: true,
          difficulty: 50_000,
          challengeTtlSeconds: 120,
          spike: { joinsPerSecond: 200, difficulty: 500_000, holdSeconds: 60 },
        },
      },
    });

    const off = await fx.patchSpec(tenant, 'guarded', {
      admission: { proofOfWork: { enabled: false } },
    });
    const told = await waitFor('the gates to be told proof of work is off', async () => {
      const event = await fx.configEvent(tenant, 'guarded');
      return event?.generation === off.metadata.generation ? event : undefined;
    });
    expect(told.admission.proofOfWork).toMatchObject({ enabled: false, difficulty: 50_000 });
    await fx.remove(tenant, 'guarded');
    await waitFor('the event gone', async () => !(await fx.configEvent(tenant, 'guarded')));
  });

  it('flips phases at the schedule boundaries and scales the issuer with them', async () => {
    // Another event keeps 4 issuers busy; this one adds 2 while it is open.
    const now = Date.now();
    const at = (ms: number) => new Date(now + ms).toISOString();
    const boundaries = { preQueue: 2_500, opens: 4_500, closes: 6_500 };
    await fx.apply(
      other,
      'flash',
      openSpec({
        schedule: {
          preQueueOpensAt: at(boundaries.preQueue),
          opensAt: at(boundaries.opens),
          closesAt: at(boundaries.closes),
        },
        admission: { dispatchPerSecond: 4000 },
        issuer: { perReplicaThroughput: 2000, minReplicas: 1, maxReplicas: 4 },
      }),
    );
    const seen: { phase: string; at: number }[] = [];
    await waitFor(
      'the phases Scheduled, PreQueue, Open, Closed in turn',
      async () => {
        const event = await fx.get(other, 'flash');
        const phase = event?.status?.phase;
        if (phase && seen.at(-1)?.phase !== phase) {
          seen.push({ phase, at: Date.now() - now });
          if (phase === Phase.Open) expect(await fx.issuerReplicas()).toBeGreaterThanOrEqual(5);
        }
        return phase === Phase.Closed;
      },
      20_000,
    );
    expect(seen.map((s) => s.phase)).toEqual([
      Phase.Scheduled,
      Phase.PreQueue,
      Phase.Open,
      Phase.Closed,
    ]);
    // On time: each flip is seen within a second of its boundary (polling every 100 ms).
    const flip = (phase: string) => seen.find((s) => s.phase === phase)!.at;
    expect(flip(Phase.PreQueue) - boundaries.preQueue).toBeLessThan(1_000);
    expect(flip(Phase.Open) - boundaries.opens).toBeLessThan(1_000);
    expect(flip(Phase.Closed) - boundaries.closes).toBeLessThan(1_000);
    expect(flip(Phase.Open)).toBeGreaterThanOrEqual(boundaries.opens);
    await waitFor('the issuer back to 4', async () => (await fx.issuerReplicas()) === 4);
    // Closed events stay in the config: the gate answers late pollers EVENT_CLOSED.
    expect(await fx.configEvent(other, 'flash')).toBeDefined();
    const closed = await fx.get(other, 'flash');
    expect(closed?.status?.nextTransitionAt).toBeUndefined();
  });

  it('refuses a change only the operator can judge, with conditions and an Event, keeps the last accepted spec, and goes on', async () => {
    // The schema cannot see that the sale has opened: a pre-queue now would let its
    // random tickets jump the shoppers already waiting in order.
    await fx.apply(tenant, 'moved', openSpec());
    await fx.waitForStatus(tenant, 'moved', configured, 'configured');
    const later = Date.now() + 2 * 3_600_000;
    await fx.patchSpec(tenant, 'moved', {
      schedule: {
        preQueueOpensAt: new Date(later - 600_000).toISOString(),
        opensAt: new Date(later).toISOString(),
        closesAt: new Date(later + 3_600_000).toISOString(),
      },
    });
    const refused = await fx.waitForStatus(
      tenant,
      'moved',
      (e) => condition(e, ConditionType.Accepted)?.observedGeneration === 2,
      'refused',
    );
    expect(condition(refused, ConditionType.Accepted)).toMatchObject({
      status: 'False',
      reason: 'PreQueueAfterOpening',
      message: expect.stringMatching(/The last accepted spec \(generation 1\) stays in effect/),
    });
    expect(condition(refused, ConditionType.Ready)).toMatchObject({
      status: 'False',
      reason: 'PreQueueAfterOpening',
    });
    expect(condition(refused, ConditionType.Stalled)).toMatchObject({ status: 'True' });
    expect(refused.status?.phase).toBe(Phase.Open);
    await waitFor('a Warning Event', async () =>
      (await fx.kubeEvents(tenant, 'moved')).some(
        (e) => e.type === 'Warning' && e.reason === 'PreQueueAfterOpening',
      ),
    );
    expect((await fx.configEvent(tenant, 'moved'))?.generation).toBe(1);
    // Fixing it is just another apply: postponing without a pre-queue keeps every place.
    await fx.patchSpec(tenant, 'moved', { schedule: { preQueueOpensAt: null } });
    const fixed = await fx.waitForStatus(
      tenant,
      'moved',
      (e) => e.status?.phase === Phase.Scheduled && configured(e),
      'fixed',
    );
    expect(condition(fixed, ConditionType.Ready)).toMatchObject({ status: 'True' });
    expect(condition(fixed, ConditionType.Stalled)).toBeUndefined();
  });

  it('gives an event id to the older CouponEvent and fails the younger, across namespaces', async () => {
    await fx.apply(tenant, 'first', openSpec({ eventId: 'shared-id' }));
    await fx.waitForStatus(tenant, 'first', configured, 'first configured');
    await fx.apply(other, 'second', openSpec({ eventId: 'shared-id' }));
    const loser = await fx.waitForStatus(
      other,
      'second',
      (e) => e.status?.phase === Phase.Failed,
      'second Failed',
    );
    expect(condition(loser, ConditionType.Accepted)).toMatchObject({
      status: 'False',
      reason: 'EventIdConflict',
      message: expect.stringContaining(`${tenant}/first`),
    });
    await waitFor('an EventIdConflict Event', async () =>
      (await fx.kubeEvents(other, 'second')).some((e) => e.reason === 'EventIdConflict'),
    );
    const inConfig = (await fx.configEvents()).filter((e) => e.id === 'shared-id');
    expect(inConfig.map((e) => e.tenant)).toEqual([tenant]);

    // When the owner goes, the other takes the id over.
    await fx.remove(tenant, 'first');
    await fx.waitForStatus(other, 'second', (e) => configured(e), 'second configured');
    expect(
      (await fx.configEvents()).filter((e) => e.id === 'shared-id').map((e) => e.tenant),
    ).toEqual([other]);
  });

  it('refuses stock below what was issued and keeps serving the last accepted spec', async () => {
    fx.gate.setStats(tenant, 'winter', { issued: 0, remaining: 100 });
    await fx.apply(tenant, 'winter', openSpec());
    const accepted = await fx.waitForStatus(tenant, 'winter', configured, 'configured');
    fx.gate.setStats(tenant, 'winter', { issued: 50, remaining: 50 });
    await fx.patchSpec(tenant, 'winter', { coupon: { stock: 30 } });
    const refused = await fx.waitForStatus(
      tenant,
      'winter',
      (e) => condition(e, ConditionType.Accepted)?.reason === 'StockBelowIssued',
      'StockBelowIssued',
    );
    expect(condition(refused, ConditionType.Accepted)?.message).toMatch(
      /stock is 30 but 50 coupons were already issued.*generation 1\) stays in effect/,
    );
    expect(refused.status?.phase).toBe(Phase.Open);
    expect(refused.status?.stock).toBe(100);
    expect(await fx.configEvent(tenant, 'winter')).toMatchObject({
      generation: accepted.metadata.generation,
      coupon: { stock: 100 },
    });
    await waitFor('a StockBelowIssued Warning', async () =>
      (await fx.kubeEvents(tenant, 'winter')).some(
        (e) => e.type === 'Warning' && e.reason === 'StockBelowIssued',
      ),
    );

    // A new leader rebuilds what was served from the ConfigMap: still the last accepted spec.
    await op.stop();
    op = await fx.startOperator();
    await fx.patchSpec(tenant, 'winter', { displayName: 'Winter sale' });
    await fx.waitForStatus(
      tenant,
      'winter',
      (e) => condition(e, ConditionType.Accepted)?.reason === 'StockBelowIssued',
      'still refused after a restart',
    );
    expect((await fx.configEvent(tenant, 'winter'))?.coupon.stock).toBe(100);

    await fx.patchSpec(tenant, 'winter', { coupon: { stock: 60 } });
    await fx.waitForStatus(
      tenant,
      'winter',
      (e) => e.status?.stock === 60 && configured(e),
      'stock 60',
    );
    expect((await fx.configEvent(tenant, 'winter'))?.coupon.stock).toBe(60);
  });

  it('cleans up on delete: config entry, then queue data, then the finalizer', async () => {
    const created = await fx.apply(tenant, 'autumn', openSpec());
    await fx.waitForStatus(tenant, 'autumn', configured, 'configured');
    await fx.remove(tenant, 'autumn');
    await waitFor(
      'the CouponEvent to go',
      async () => (await fx.get(tenant, 'autumn')) === undefined,
    );
    expect(fx.gate.deleted).toContain(`${tenant}/autumn`);
    // The uid ties the gate's tombstone to this CouponEvent, not to one re-created later.
    expect(fx.gate.calls).toContain(`DELETE ${tenant}/autumn?uid=${created.metadata.uid}`);
    expect(await fx.configEvent(tenant, 'autumn')).toBeUndefined();
    const reasons = (await fx.kubeEvents(tenant, 'autumn')).map((e) => e.reason);
    expect(reasons).toContain('CleanedUp');
  });

  it('keeps the finalizer while the gate cannot delete the queue data, and retries', async () => {
    await fx.apply(tenant, 'stuck', openSpec());
    await fx.waitForStatus(tenant, 'stuck', configured, 'configured');
    await fx.gate.down();
    try {
      await fx.remove(tenant, 'stuck');
      const waiting = await waitFor('a CleanedUp=False condition', async () => {
        const e = await fx.get(tenant, 'stuck');
        return e && condition(e, 'CleanedUp')?.status === 'False' ? e : undefined;
      });
      expect(waiting.metadata.finalizers).toContain('rediclaim.io/cleanup');
      expect(condition(waiting, 'CleanedUp')?.reason).toBe('GateUnreachable');
      expect(await fx.configEvent(tenant, 'stuck')).toBeUndefined();
      await waitFor('a CleanupFailed Warning', async () =>
        (await fx.kubeEvents(tenant, 'stuck')).some((e) => e.reason === 'CleanupFailed'),
      );
    } finally {
      await fx.gate.up();
    }
    await waitFor(
      'the CouponEvent to go',
      async () => (await fx.get(tenant, 'stuck')) === undefined,
    );
    expect(fx.gate.deleted).toContain(`${tenant}/stuck`);
  });

  it('reports a missing issuer Deployment on the events and recovers when it is back', async () => {
    const replicas = await fx.issuerReplicas();
    expect(replicas).toBeGreaterThan(1);
    await fx.apps.deleteNamespacedDeployment({ namespace: fx.platform, name: 'rediclaim-issuer' });
    const event = await fx.waitForStatus(
      tenant,
      'summer',
      (e) => condition(e, 'IssuerScaled')?.reason === 'IssuerDeploymentNotFound',
      'IssuerDeploymentNotFound',
    );
    expect(condition(event, 'IssuerScaled')?.status).toBe('False');
    await fx.createIssuerDeployment();
    await fx.waitForStatus(
      tenant,
      'summer',
      (e) => condition(e, 'IssuerScaled')?.status === 'True',
      'IssuerScaled',
    );
    // The new Deployment (1 replica) is scaled to what the open events need.
    await waitFor(`${replicas} issuers`, async () => (await fx.issuerReplicas()) === replicas);
  });

  it('raises the partitions of the issue topics to the issuer maximum', async () => {
    const admin = testKafka().admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({
        topics: [fx.topics.requests, fx.topics.results],
      });
      expect(metadata.topics.map((t) => t.partitions.length)).toEqual([6, 6]);
    } finally {
      await admin.disconnect();
    }
  });

  it('serves /healthz, /readyz and /metrics', async () => {
    const app = buildApp({
      registry: op.operator.metrics.registry,
      health: () => op.operator.health(),
      ready: () => op.operator.ready,
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(
        /controller_runtime_reconcile_total\{controller="couponevent",result="(success|requeue_after)"\} [1-9]/,
      );
      expect(metrics).toMatch(
        /controller_runtime_reconcile_total\{controller="kafka",result="requeue_after"\} [1-9]/,
      );
      expect(metrics).toMatch(
        /controller_runtime_reconcile_time_seconds_bucket\{le="60",controller="platform"\}/,
      );
      expect(metrics).toMatch(/workqueue_depth\{name="couponevent",controller="couponevent"\} \d+/);
      expect(metrics).toMatch(/leader_election_master_status\{name="rediclaim-operator"\} 1/);
      expect(metrics).toMatch(/rediclaim_operator_couponevents\{phase="Open"\} \d+/);
      expect(metrics).not.toMatch(/rediclaim_operator_(reconcile|work_queue|leader )/);
    } finally {
      await app.close();
    }
  });
});
