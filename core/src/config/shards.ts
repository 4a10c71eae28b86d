import { z } from 'zod';

/**
 * The rendered events config is split over a fixed number of ConfigMaps ("shards"):
 * one Kubernetes object holds at most ~1 MiB, about 1,500 events, and the design asks
 * for 10,000. The operator writes and the gate reads the same names, so both derive
 * them from here, with the same count (`EVENTS_CONFIG_SHARDS` of each).
 */

/**
 * Default shard count. 32 shards hold ~40,000 events of typical size below the cap,
 * and keep each shard small (~210 KiB at 10,000 events): every edit rewrites its whole
 * shard, which the API server decodes and every gate reads, so its size is latency.
 * With 16, apply → gate at 10,000 events was p99 194–347 ms; with 32, 121–127 ms.
 */
export const DEFAULT_CONFIG_SHARDS = 32;
/** More shards only cost watches; past this a gate holds hundreds of connections. */
export const MAX_CONFIG_SHARDS = 256;
/**
 * What the operator writes into one shard at most: the API server refuses objects over
 * 1 MiB (etcd's request limit, with metadata and JSON quoting on top of the YAML).
 */
export const CONFIG_SHARD_MAX_BYTES = 900 * 1024;

/**
 * FNV-1a (32 bit) of the id's UTF-8 bytes. Stable across processes, versions and
 * platforms (unlike a runtime's string hash), cheap, and spreads short similar ids
 * ("sale-1", "sale-2") evenly, which is all placement needs.
 */
const utf8 = new TextEncoder();
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of utf8.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The shard an event id lives in, 0 ≤ shard < shards. */
/**
 * `EVENTS_CONFIG_SHARDS` of the gate and of the operator: both must hold the same count,
 * so both read it with the same rule.
 */
export const configShardsSchema = z.coerce
  .number()
  .int('must be a whole number of ConfigMaps')
  .min(1, 'must be at least 1 (one ConfigMap)')
  .max(
    MAX_CONFIG_SHARDS,
    `must be at most ${MAX_CONFIG_SHARDS}: every gate watches each shard, one connection apiece`,
  )
  .default(DEFAULT_CONFIG_SHARDS);

export function configShardOf(eventId: string, shards: number): number {
  return fnv1a(eventId) % shards;
}

/**
 * The ConfigMap of shard `shard`: `<base>-<shard>` for every shard, so a listing sorts
 * them together and none is mistaken for the single ConfigMap of older releases.
 */
export function configShardName(base: string, shard: number): string {
  return `${base}-${shard}`;
}

/** Every shard's ConfigMap name, in shard order. */
export function configShardNames(base: string, shards: number): string[] {
  return Array.from({ length: shards }, (_, shard) => configShardName(base, shard));
}
