import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as yaml from 'js-yaml';
import type { CouponEvent } from '@rediclaim/core';
import { repoRoot } from '../testing/env.js';

/**
 * The demo's CouponEvent: the flash-sale example a user would apply, with the
 * schedule moved to now and the stock and rate asked for on the command line.
 */
export function demoCouponEvent(options: {
  namespace: string;
  eventId: string;
  stock: number;
  rate: number;
  opensInMs: number;
  /** A pre-queue opening now: shoppers join before the sale, their order drawn at opening. */
  preQueue?: boolean;
}): CouponEvent {
  const example = yaml.load(
    readFileSync(path.join(repoRoot, 'crds/examples/flash-sale.yaml'), 'utf8'),
  ) as CouponEvent;
  const opensAt = new Date(Date.now() + options.opensInMs);
  example.metadata = { name: options.eventId, namespace: options.namespace };
  example.spec.eventId = options.eventId;
  example.spec.displayName = `Demo flash sale (${options.stock} coupons)`;
  example.spec.schedule = {
    opensAt: opensAt.toISOString(),
    closesAt: new Date(opensAt.getTime() + 30 * 60_000).toISOString(),
    ...(options.preQueue ? { preQueueOpensAt: new Date().toISOString() } : {}),
  };
  example.spec.admission = { ...example.spec.admission, dispatchPerSecond: options.rate };
  example.spec.coupon = { ...example.spec.coupon, stock: options.stock };
  return example;
}
