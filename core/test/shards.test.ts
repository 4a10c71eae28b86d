import { describe, expect, it } from '@jest/globals';
import { configShardName, configShardNames, configShardOf } from '@rediclaim/core';

describe('config shards', () => {
  it('places an event id by FNV-1a, so every process and version agrees on its shard', () => {
    // FNV-1a("a") = 0xe40c292c, FNV-1a("foobar") = 0xbf9cf968 (the reference vectors).
    expect(configShardOf('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31);
    expect(configShardOf('foobar', 1000)).toBe(0xbf9cf968 % 1000);
    expect(configShardOf('sale-1', 16)).toBe(configShardOf('sale-1', 16));
    expect(configShardOf('anything', 1)).toBe(0);
  });

  it('spreads similar ids evenly over the shards', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[configShardOf(`sale-${i}`, 16)]! += 1;
    for (const n of counts) expect(Math.abs(n - 1_000)).toBeLessThan(150);
  });

  it('names every shard <base>-<n>', () => {
    expect(configShardName('rediclaim-events', 3)).toBe('rediclaim-events-3');
    expect(configShardNames('ev', 3)).toEqual(['ev-0', 'ev-1', 'ev-2']);
  });
});
