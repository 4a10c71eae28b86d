// The inputs of one open, configured event with live counts, for the status unit tests.
import {
  eventConfigFromCouponEvent,
  type CouponEventSpecInput,
  type EventConfig,
} from '@rediclaim/core';
import type { StatusInputs } from '../../src/reconcilers/couponevent/status.js';

const spec: CouponEventSpecInput = {
  schedule: { opensAt: '2026-11-27T01:00:00Z', closesAt: '2026-11-27T03:00:00Z' },
  admission: { dispatchPerSecond: 100 },
  coupon: { stock: 100, validity: { validForHours: 1 }, discount: { type: 'percent', percent: 5 } },
};
const config: EventConfig = eventConfigFromCouponEvent({
  apiVersion: 'rediclaim.io/v1alpha1',
  kind: 'CouponEvent',
  metadata: { namespace: 'shop', name: 'sale', uid: 'u1', generation: 2 },
  spec,
});
export const stats = {
  tenant: 'shop',
  eventId: 'sale',
  known: true,
  waiting: 5,
  processing: 1,
  issued: 10,
  remaining: 90,
  soldOut: false,
};
export const base = (over: Partial<StatusInputs> = {}): StatusInputs => ({
  generation: 2,
  eventId: 'sale',
  verdict: { accepted: true, config },
  effective: config,
  configuredGeneration: 2,
  configError: undefined,
  configMapRef: 'rc/rediclaim-events',
  stats,
  statsError: undefined,
  issuer: { status: 'True', reason: 'Scaled', message: 'ok' },
  previous: undefined,
  now: new Date('2026-11-27T02:00:00Z'),
  ...over,
});
