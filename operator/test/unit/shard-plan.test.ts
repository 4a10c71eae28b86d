import { describe, expect, it } from '@jest/globals';
import {
  configShardOf,
  eventConfigSchema,
  parseEventsConfig,
  renderEventsConfig,
  type EventConfig,
} from '@rediclaim/core';
import { ShardPlanner, type Served } from '../../src/reconcilers/platform/shard-plan.js';

const config = (id: string, generation = 1): EventConfig =>
  eventConfigSchema.parse({
    id,
    tenant: 'shop',
    name: id,
    uid: `uid-${id}`,
    generation,
    schedule: { opensAt: '2026-11-27T00:00:00Z', closesAt: '2026-11-27T02:00:00Z' },
    admission: { dispatchPerSecond: 100 },
    coupon: {
      stock: 100,
      validity: { validForHours: 1 },
      discount: { type: 'percent', percent: 5 },
    },
  });

const served = (ids: string[]): Served[] => ids.map((id) => [`shop/${id}`, config(id)]);
const SHARDS = 4;
const planner = (maxBytes = 900 * 1024) =>
  new ShardPlanner({ shards: SHARDS, maxBytes, shardOf: (id) => configShardOf(id, SHARDS) });
const holdsNothing = () => false;

describe('planning the config shards', () => {
  const ids = Array.from({ length: 40 }, (_, i) => `sale-${i}`);

  it('puts each event in the shard its id hashes to, each shard a complete document the gate reads', () => {
    const entries = served(ids);
    const plans = planner().plan(entries, holdsNothing);
    expect(plans.map((p) => p.shard)).toEqual([0, 1, 2, 3]);
    for (const plan of plans) {
      const events = parseEventsConfig(plan.text, `shard ${plan.shard}`).events;
      expect(events.every((e) => configShardOf(e.id, SHARDS) === plan.shard)).toBe(true);
      // The same bytes as rendering those events in one go: the format of one ConfigMap.
      expect(plan.text).toBe(
        renderEventsConfig(
          entries.filter(([, c]) => configShardOf(c.id, SHARDS) === plan.shard).map(([, c]) => c),
        ),
      );
      expect(plan.bytes).toBe(Buffer.byteLength(plan.text));
      expect([...plan.held.keys()].sort()).toEqual(events.map((e) => `shop/${e.id}`).sort());
    }
    expect(plans.reduce((n, p) => n + p.held.size, 0)).toBe(40);
  });

  it('renders again only the shard whose events changed', () => {
    const p = planner();
    const entries = served(ids);
    p.plan(entries, holdsNothing);
    expect(p.plan(entries, holdsNothing).filter((plan) => plan.fresh)).toEqual([]);
    const edited = entries.map(([key, c]): Served =>
      c.id === 'sale-7' ? [key, config('sale-7', 2)] : [key, c],
    );
    const fresh = p.plan(edited, holdsNothing).filter((plan) => plan.fresh);
    expect(fresh.map((plan) => plan.shard)).toEqual([configShardOf('sale-7', SHARDS)]);
    expect(fresh[0]!.held.get('shop/sale-7')).toBe(2);
  });

  it('leaves out what does not fit a full shard, keeping the events it already holds', () => {
    const one = served(['sale-0']);
    const entryBytes = planner().plan(one, holdsNothing)[configShardOf('sale-0', SHARDS)]!.bytes;
    // Room for about three events in a shard.
    const p = planner(entryBytes * 3);
    const inShard = ids.filter((id) => configShardOf(id, SHARDS) === 0);
    expect(inShard.length).toBeGreaterThan(4);
    // The shard holds the last two already: they stay, whatever the order served.
    const held = new Set(inShard.slice(-2).map((id) => `shop/${id}`));
    const plan = p.plan(served(inShard), (shard, key) => shard === 0 && held.has(key))[0]!;
    expect(plan.bytes).toBeLessThanOrEqual(entryBytes * 3);
    for (const key of held) expect(plan.held.has(key)).toBe(true);
    expect(plan.held.size + plan.full.length).toBe(inShard.length);
    expect(plan.full.length).toBeGreaterThan(0);
    for (const key of plan.full) expect(plan.held.has(key)).toBe(false);
  });
});
