// The operator's metrics as Prometheus scrapes them, with the operator in-process against
// the real kube-apiserver of the test stack (chart RBAC) and the gate admin contract fake:
// controller-runtime's and client-go's names, and the per-CouponEvent gauges.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConditionType, Phase, type CouponEvent } from '@rediclaim/core';
import { Fixture, openSpec, waitFor, type RunningOperator } from './support/fixture.js';
import { scrape, select, valueOf, type Sample } from './support/metrics.js';

const condition = (event: CouponEvent, type: string) =>
  event.status?.conditions?.find((c) => c.type === type);
const ready = (e: CouponEvent) => condition(e, ConditionType.Ready)?.status === 'True';

describe('the operator metrics (real API server, chart RBAC)', () => {
  let fx: Fixture;
  let op: RunningOperator;
  let tenant: string;
  /** The labels of CouponEvent `promo` (eventId `promo-id`): the gate's and issuer's `tenant`, `event`. */
  let promo: Record<string, string>;
  const read = () => scrape(op.operator.metrics.registry);
  const ofEvent = (samples: readonly Sample[], name: string) =>
    samples.filter((s) => s.name.startsWith('rediclaim_couponevent_') && s.labels.name === name);

  beforeAll(async () => {
    fx = await Fixture.create({ kafka: false });
    tenant = fx.tenants[0]!;
    promo = { namespace: tenant, name: 'promo', tenant, event: 'promo-id' };
    op = await fx.startOperator();
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('exports gauges per CouponEvent from the cache, labelled as the gate and issuer label theirs', async () => {
    fx.gate.setStats(tenant, 'promo-id', {
      waiting: 4,
      processing: 1,
      issued: 30,
      remaining: 70,
      redeemed: 5,
    });
    const applied = await fx.apply(tenant, 'promo', openSpec({ eventId: 'promo-id' }));
    await fx.waitForStatus(
      tenant,
      'promo',
      (e) => ready(e) && e.status?.counts?.redeemed === 5,
      'Ready with counts',
    );
    // The status reached the API server; the cache has it a watch event later.
    const samples = await waitFor('the Ready status in the gauges', async () => {
      const s = await read();
      return valueOf(s, 'rediclaim_couponevent_ready', promo) === 1 ? s : undefined;
    });
    expect(valueOf(samples, 'rediclaim_couponevent_info', { ...promo, phase: Phase.Open })).toBe(1);
    expect(select(samples, 'rediclaim_couponevent_info', promo)).toHaveLength(1);
    expect(valueOf(samples, 'rediclaim_couponevent_stock', promo)).toBe(100);
    expect(valueOf(samples, 'rediclaim_couponevent_issued', promo)).toBe(30);
    expect(valueOf(samples, 'rediclaim_couponevent_remaining', promo)).toBe(70);
    expect(valueOf(samples, 'rediclaim_couponevent_waiting', promo)).toBe(4);
    expect(valueOf(samples, 'rediclaim_couponevent_processing', promo)).toBe(1);
    expect(valueOf(samples, 'rediclaim_couponevent_redeemed', promo)).toBe(5);
    expect(valueOf(samples, 'rediclaim_couponevent_opens_timestamp_seconds', promo)).toBe(
      Date.parse(applied.spec.schedule.opensAt) / 1000,
    );
    // Not sold out: no timestamp at all (not 0, which would read as 1970).
    expect(select(samples, 'rediclaim_couponevent_sold_out_timestamp_seconds', promo)).toEqual([]);
  });

  it('reports a refused generation as not ready', async () => {
    fx.gate.setStats(tenant, 'short-id', { issued: 50, remaining: 50 });
    await fx.apply(tenant, 'short', openSpec({ eventId: 'short-id' }));
    await fx.waitForStatus(tenant, 'short', ready, 'Ready');
    const labels = { namespace: tenant, name: 'short', tenant, event: 'short-id' };
    await waitFor('short ready', async () =>
      valueOf(await read(), 'rediclaim_couponevent_ready', labels) === 1 ? true : undefined,
    );
    // Stock below what was issued: refused, so this generation is not in effect.
    await fx.patchSpec(tenant, 'short', { coupon: { stock: 10 } });
    await fx.waitForStatus(
      tenant,
      'short',
      (e) => condition(e, ConditionType.Accepted)?.status === 'False',
      'refused',
    );
    await waitFor('short not ready', async () =>
      valueOf(await read(), 'rediclaim_couponevent_ready', labels) === 0 ? true : undefined,
    );
  });

  it('reports SoldOut with the time the condition became True', async () => {
    fx.gate.setStats(tenant, 'promo-id', {
      waiting: 0,
      processing: 0,
      issued: 100,
      remaining: 0,
      soldOut: true,
    });
    const event = await fx.waitForStatus(
      tenant,
      'promo',
      (e) => e.status?.phase === Phase.SoldOut,
      'SoldOut',
    );
    const soldOutAt = Date.parse(condition(event, ConditionType.SoldOut)!.lastTransitionTime);
    const samples = await waitFor('the SoldOut phase in the gauges', async () => {
      const s = await read();
      return valueOf(s, 'rediclaim_couponevent_info', { ...promo, phase: Phase.SoldOut })
        ? s
        : undefined;
    });
    expect(valueOf(samples, 'rediclaim_couponevent_sold_out_timestamp_seconds', promo)).toBe(
      soldOutAt / 1000,
    );
    expect(valueOf(samples, 'rediclaim_couponevent_remaining', promo)).toBe(0);
    // One info series per event: the old phase's is gone.
    expect(select(samples, 'rediclaim_couponevent_info', promo)).toHaveLength(1);
  });

  it('counts a failed reconcile as an error, retries it with backoff, and drops a deleted event’s series', async () => {
    const errors = async () =>
      valueOf(await read(), 'controller_runtime_reconcile_errors_total', {
        controller: 'couponevent',
      }) ?? 0;
    const before = await read();
    const errorsBefore = await errors();
    const retriesBefore = valueOf(before, 'workqueue_retries_total', { name: 'couponevent' })!;
    // Deleting needs the gate to drop the event's queue data: unreachable, cleanup fails.
    await fx.gate.down();
    try {
      await fx.remove(tenant, 'promo');
      await waitFor('a failed cleanup', async () =>
        (await errors()) > errorsBefore ? true : undefined,
      );
      const failing = await read();
      // Each error counted twice over, as controller-runtime does: in the total by result, and alone.
      expect(
        valueOf(failing, 'controller_runtime_reconcile_total', {
          controller: 'couponevent',
          result: 'error',
        }),
      ).toBe(
        valueOf(failing, 'controller_runtime_reconcile_errors_total', {
          controller: 'couponevent',
        }),
      );
      expect(valueOf(failing, 'workqueue_retries_total', { name: 'couponevent' })).toBeGreaterThan(
        retriesBefore,
      );
      // Still there, finalizer pending: still described.
      expect(
        valueOf(failing, 'rediclaim_couponevent_info', { ...promo, phase: Phase.SoldOut }),
      ).toBe(1);
    } finally {
      await fx.gate.up();
    }
    await waitFor('promo gone from the API server', async () =>
      (await fx.get(tenant, 'promo')) ? undefined : true,
    );
    const after = await waitFor('promo gone from the gauges', async () => {
      const s = await read();
      return ofEvent(s, 'promo').length === 0 ? s : undefined;
    });
    // The other event is still described.
    expect(valueOf(after, 'rediclaim_couponevent_info', { namespace: tenant, name: 'short' })).toBe(
      1,
    );
  });

  it('counts reconciles per controller and result, and moves the work queue, under controller-runtime’s names', async () => {
    const samples = await read();
    for (const controller of ['couponevent', 'platform'])
      for (const result of ['success', 'error', 'requeue', 'requeue_after'])
        expect(
          valueOf(samples, 'controller_runtime_reconcile_total', { controller, result }),
        ).toBeDefined();
    // Open events are polled, the platform renders on a cadence: both ask to be requeued.
    for (const controller of ['couponevent', 'platform'])
      expect(
        valueOf(samples, 'controller_runtime_reconcile_total', {
          controller,
          result: 'requeue_after',
        }),
      ).toBeGreaterThan(0);
    expect(
      valueOf(samples, 'controller_runtime_reconcile_time_seconds_count', {
        controller: 'couponevent',
      }),
    ).toBeGreaterThan(0);
    expect(
      valueOf(samples, 'controller_runtime_max_concurrent_reconciles', {
        controller: 'couponevent',
      }),
    ).toBe(op.settings.RECONCILE_CONCURRENCY);
    expect(
      valueOf(samples, 'controller_runtime_max_concurrent_reconciles', { controller: 'platform' }),
    ).toBe(1);
    expect(
      valueOf(samples, 'controller_runtime_active_workers', { controller: 'couponevent' }),
    ).toBeGreaterThanOrEqual(0);

    const queue = { name: 'couponevent', controller: 'couponevent' };
    expect(valueOf(samples, 'workqueue_adds_total', queue)).toBeGreaterThan(0);
    expect(valueOf(samples, 'workqueue_depth', queue)).toBeGreaterThanOrEqual(0);
    expect(valueOf(samples, 'workqueue_queue_duration_seconds_count', queue)).toBeGreaterThan(0);
    expect(valueOf(samples, 'workqueue_work_duration_seconds_count', queue)).toBeGreaterThan(0);
    expect(valueOf(samples, 'workqueue_unfinished_work_seconds', queue)).toBeGreaterThanOrEqual(0);
    expect(
      valueOf(samples, 'workqueue_longest_running_processor_seconds', queue),
    ).toBeGreaterThanOrEqual(0);
    // The render cadence schedules the platform queue's next pass: delayed adds.
    expect(
      valueOf(samples, 'workqueue_retries_total', { name: 'platform', controller: 'platform' }),
    ).toBeGreaterThan(0);
    expect(
      valueOf(samples, 'leader_election_master_status', { name: op.settings.LEASE_NAME }),
    ).toBe(1);
    // Renamed, not duplicated.
    expect(
      samples.filter((s) => /^rediclaim_operator_(reconcile|work_queue|leader$)/.test(s.name)),
    ).toEqual([]);
  });
});
