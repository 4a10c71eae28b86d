import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { LocalStreamSlots, RedisStreamSlots } from '@rediclaim/gate';
import { testRedis, uniqueName } from '@rediclaim/hack/testing';

/**
 * The per-client bound on open push streams, on the test stack's Redis: two gates'
 * slots count together, a released slot is free again at once, a live gate's leases are
 * renewed, and a dead gate's slots stop counting when their leases run out.
 */
let redis: Redis;
const made: RedisStreamSlots[] = [];

beforeAll(() => {
  redis = testRedis();
});

afterAll(async () => {
  for (const slots of made) slots.close();
  await redis?.quit();
});

function gateSlots(namespace: string, max: number, leaseMs = 60_000): RedisStreamSlots {
  const slots = new RedisStreamSlots(redis, { max, namespace, leaseMs });
  made.push(slots);
  return slots;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stream slots counted in Redis', () => {
  it("count every gate's streams of a client together, and each client on its own", async () => {
    const namespace = `${uniqueName('slots')}:`;
    const a = gateSlots(namespace, 2);
    const b = gateSlots(namespace, 2);
    const first = await a.claim('198.51.100.7');
    const second = await b.claim('198.51.100.7');
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(await a.claim('198.51.100.7')).toBeUndefined();
    expect(await b.claim('198.51.100.7')).toBeUndefined();
    // Another address has a budget of its own.
    expect(await b.claim('198.51.100.8')).toBeDefined();
    // Released (twice: the second does nothing), the slot is free on either gate.
    first!.release();
    first!.release();
    const again = await b.claim('198.51.100.7');
    expect(again).toBeDefined();
    expect(await a.claim('198.51.100.7')).toBeUndefined();
    expect(await redis.zcard(`${namespace}streams:198.51.100.7`)).toBe(2);
  });

  it("renews a live gate's leases, and lets a dead gate's slots go when theirs run out", async () => {
    const namespace = `${uniqueName('slots')}:`;
    const live = gateSlots(namespace, 2, 600);
    const dead = gateSlots(namespace, 2, 600);
    expect(await live.claim('203.0.113.5')).toBeDefined();
    expect(await dead.claim('203.0.113.5')).toBeDefined();
    // The dead gate's process is gone: nothing renews or releases its slot.
    dead.close();
    await sleep(1_000);
    // The live gate's slot was renewed (every 200 ms) and still counts; the other expired.
    expect(await live.claim('203.0.113.5')).toBeDefined();
    expect(await live.claim('203.0.113.5')).toBeUndefined();
    const key = `${namespace}streams:203.0.113.5`;
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(600);
  });

  it('never brings back, at a renewal, a slot Redis lost (a failover), nor counts it twice', async () => {
    const namespace = `${uniqueName('slots')}:`;
    const slots = gateSlots(namespace, 1, 60_000);
    const slot = await slots.claim('192.0.2.1');
    expect(slot).toBeDefined();
    await redis.del(`${namespace}streams:192.0.2.1`);
    await slots.renew();
    expect(await redis.exists(`${namespace}streams:192.0.2.1`)).toBe(0);
    expect(await slots.claim('192.0.2.1')).toBeDefined();
    // The lost slot's release removes nothing of the new one's.
    slot!.release();
    await sleep(50);
    expect(await redis.zcard(`${namespace}streams:192.0.2.1`)).toBe(1);
  });
});

describe('stream slots counted in the process', () => {
  it("bound one replica's streams of a client, and free a slot when its stream closes", async () => {
    const slots = new LocalStreamSlots(1);
    const first = await slots.claim('198.51.100.9');
    expect(await slots.claim('198.51.100.9')).toBeUndefined();
    expect(await slots.claim('198.51.100.10')).toBeDefined();
    first!.release();
    first!.release();
    expect(await slots.claim('198.51.100.9')).toBeDefined();
    expect(await slots.claim('198.51.100.9')).toBeUndefined();
  });
});
