import { Redis } from 'ioredis';
import { stackEnv } from './env.js';

/** A client of the test stack's Redis. Suites isolate by tenant/event names in their keys. */
export function testRedis(): Redis {
  return new Redis(stackEnv().redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
}
