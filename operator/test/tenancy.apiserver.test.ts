// Many tenants on one platform, against the real kube-apiserver of the test stack, the
// operator running as the chart's ServiceAccount: the gate config split over ConfigMap
// shards (only the shard an edit touches is written; a full shard says so on the events
// it leaves out), and each namespace's quota of CouponEvents.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ConditionType, configShardOf, type CouponEvent } from '@rediclaim/core';
import { Fixture, openSpec, waitFor } from './support/fixture.js';

const condition = (event: CouponEvent, type: string) =>
  event.status?.conditions?.find((c) => c.type === type);
const configured = (e: CouponEvent) => condition(e, ConditionType.Configured)?.status === 'True';
const accepted = (e: CouponEvent) => condition(e, ConditionType.Accepted);

describe('tenancy (real API server, chart RBAC)', () => {
  let fx: Fixture;
  let tenant: string;

  beforeEach(async () => {
    fx = await Fixture.create({ tenants: 1, kafka: false });
    [tenant] = fx.tenants as [string];
  });
  afterEach(async () => {
    await fx?.cleanup();
  });

  it('spreads the events over the shards and rewrites only the shard of an edited event', async () => {
    const SHARDS = 4;
    await fx.startOperator({ EVENTS_CONFIG_SHARDS: String(SHARDS) });
    // Events that cover every shard.
    const names: string[] = [];
    for (let i = 0; new Set(names.map((n) => configShardOf(n, SHARDS))).size < SHARDS; i++)
      names.push(`sale-${i}`);
    for (const name of names) await fx.apply(tenant, name, openSpec());
    for (const name of names) await fx.waitForStatus(tenant, name, configured, 'Configured');
    for (let shard = 0; shard < SHARDS; shard++) {
      const ids = (await fx.shardEvents(shard)).map((e) => e.id).sort();
      expect(ids).toEqual(names.filter((n) => configShardOf(n, SHARDS) === shard).sort());
    }
    const versions = async () =>
      Promise.all(
        Array.from(
          { length: SHARDS },
          async (_, s) => (await fx.shardConfigMap(s))?.metadata?.resourceVersion,
        ),
      );
    const before = await versions();

    const edited = names[0]!;
    await fx.patchSpec(tenant, edited, { coupon: { stock: 55 } });
    await fx.waitForStatus(
      tenant,
      edited,
      (e) => e.status?.stock === 55 && configured(e),
      'stock 55 configured',
    );
    const after = await versions();
    const home = configShardOf(edited, SHARDS);
    expect(after.map((v, s) => v !== before[s])).toEqual(
      Array.from({ length: SHARDS }, (_, s) => s === home),
    );
    const inShard = (await fx.shardEvents(home)).find((e) => e.id === edited);
    expect(inShard?.coupon.stock).toBe(55);
    const shard = await fx.shardConfigMap(home);
    expect(shard?.metadata?.labels).toMatchObject({ 'rediclaim.io/config-shard': String(home) });
  });

  it('says on an event that its shard is full, with a Warning, and serves it once there is room', async () => {
    // One shard of 1 KiB: room for one event.
    await fx.startOperator({ EVENTS_CONFIG_SHARDS: '1', EVENTS_CONFIG_SHARD_MAX_KIB: '1' });
    await fx.apply(tenant, 'first', openSpec());
    await fx.waitForStatus(tenant, 'first', configured, 'Configured');
    await fx.apply(tenant, 'second', openSpec());
    const full = await fx.waitForStatus(
      tenant,
      'second',
      (e) => condition(e, ConditionType.Configured)?.reason === 'ConfigShardFull',
      'ConfigShardFull',
    );
    expect(condition(full, ConditionType.Configured)).toMatchObject({
      status: 'False',
      message: expect.stringMatching(
        /ConfigMap .*\/rediclaim-events-0 is full .*Raise the shard count \(chart value gate\.configShards/,
      ),
    });
    expect(condition(full, ConditionType.Ready)).toMatchObject({
      status: 'False',
      reason: 'ConfigShardFull',
    });
    await waitFor('a ConfigShardFull Warning', async () =>
      (await fx.kubeEvents(tenant, 'second')).some(
        (e) => e.type === 'Warning' && e.reason === 'ConfigShardFull',
      ),
    );
    // The event already served keeps its place.
    expect((await fx.shardEvents(0)).map((e) => e.id)).toEqual(['first']);

    await fx.remove(tenant, 'first');
    await fx.waitForStatus(tenant, 'second', configured, 'Configured once there is room');
    expect((await fx.shardEvents(0)).map((e) => e.id)).toEqual(['second']);
  });

  it("refuses CouponEvents past the namespace's quota, oldest first, and serves one when a place frees", async () => {
    await fx.startOperator({ MAX_EVENTS_PER_NAMESPACE: '2' });
    // Names in creation order: events created in one second are ranked by name.
    for (const name of ['one', 'three', 'two']) await fx.apply(tenant, name, openSpec());
    await fx.waitForStatus(tenant, 'one', configured, 'Configured');
    await fx.waitForStatus(tenant, 'three', configured, 'Configured');
    const refused = await fx.waitForStatus(
      tenant,
      'two',
      (e) => accepted(e)?.status === 'False',
      'refused',
    );
    expect(accepted(refused)).toMatchObject({
      reason: 'NamespaceQuotaExceeded',
      message: expect.stringMatching(
        new RegExp(
          `namespace ${tenant} has 3 CouponEvents and may have 2 served.*maxEventsPerNamespace`,
        ),
      ),
    });
    expect(condition(refused, ConditionType.Configured)?.reason).toBe('NotAccepted');
    await waitFor('a NamespaceQuotaExceeded Warning', async () =>
      (await fx.kubeEvents(tenant, 'two')).some(
        (e) => e.type === 'Warning' && e.reason === 'NamespaceQuotaExceeded',
      ),
    );
    expect(await fx.configEvent(tenant, 'two')).toBeUndefined();

    await fx.remove(tenant, 'one');
    await fx.waitForStatus(tenant, 'two', configured, 'Configured once a place is free');
    expect(await fx.configEvent(tenant, 'two')).toBeDefined();
  });
});
