import { describe, expect, it } from '@jest/globals';
import { configShardOf, eventConfigSchema, type EventConfig } from '@rediclaim/core';
import { ShardedEvents } from '../../src/config/shard-merge.js';
import { eventConfig } from '../support/events.js';

const config = (id: string, stock = 10): EventConfig =>
  eventConfigSchema.parse(eventConfig(id, { stock }));

describe('merging the config shards', () => {
  it('serves every shard’s events, and none from a shard not read yet', () => {
    const shards = new ShardedEvents(3);
    expect(shards.merged().config.events).toEqual([]);
    shards.set(0, [config('a')]);
    shards.set(2, [config('b'), config('c')]);
    expect(
      shards
        .merged()
        .config.events.map((e) => e.id)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    shards.set(2, []);
    expect(shards.merged().config.events.map((e) => e.id)).toEqual(['a']);
  });

  it('keeps the same config objects, so the store skips comparing events that did not change', () => {
    const shards = new ShardedEvents(2);
    const a = config('a');
    shards.set(0, [a]);
    shards.set(1, [config('b')]);
    expect(shards.merged().config.events).toContain(a);
  });

  it('serves an id found in two shards from the one it hashes to, and reports it', () => {
    const home = configShardOf('moved', 4);
    const stale = (home + 1) % 4;
    const shards = new ShardedEvents(4);
    shards.set(Math.min(home, stale), [config('moved', home < stale ? 2 : 1)]);
    shards.set(Math.max(home, stale), [config('moved', home < stale ? 1 : 2)]);
    const { config: merged, duplicates } = shards.merged();
    expect(merged.events.map((e) => e.coupon.stock)).toEqual([2]);
    expect(duplicates).toEqual([{ id: 'moved', kept: home, dropped: stale }]);
  });
});
