import type { CouponEventSpecInput } from '@rediclaim/core';

/** A valid spec a test can bend into the case it needs. */
export function validSpec(): CouponEventSpecInput {
  return {
    eventId: 'black-friday',
    displayName: 'Black Friday',
    schedule: { opensAt: '2026-11-27T00:00:00Z', closesAt: '2026-11-27T02:00:00Z' },
    admission: { dispatchPerSecond: 100 },
    coupon: {
      stock: 1000,
      validity: { validForHours: 24 },
      discount: { type: 'percent', percent: 10 },
    },
  };
}

export interface InvalidCase {
  name: string;
  spec: (s: CouponEventSpecInput & Record<string, unknown>) => unknown;
  /** The path and sentence zod reports (operator, gate, config files). */
  zod: RegExp;
  /** What the API server says at `kubectl apply` (the CRD's schema and CEL rules). */
  apiServer: RegExp;
}

const set = <T>(value: T, f: (v: T) => void): T => {
  f(value);
  return value;
};

/** Realistic mistakes people make writing a CouponEvent, with what they should read back. */
export const invalidCases: InvalidCase[] = [
  {
    name: 'a sale that closes before it opens',
    spec: (s) => set(s, (v) => (v.schedule.closesAt = '2026-11-26T23:00:00Z')),
    zod: /schedule\.closesAt: closesAt must be after opensAt/,
    apiServer: /spec\.schedule\.closesAt: .*closesAt must be after opensAt/,
  },
  {
    name: 'a pre-queue that opens after the sale',
    spec: (s) => set(s, (v) => (v.schedule.preQueueOpensAt = '2026-11-27T01:00:00Z')),
    zod: /schedule\.preQueueOpensAt: preQueueOpensAt must be before opensAt/,
    apiServer: /spec\.schedule\.preQueueOpensAt: .*preQueueOpensAt must be before opensAt/,
  },
  {
    name: 'zero stock',
    spec: (s) => set(s, (v) => (v.coupon.stock = 0)),
    zod: /coupon\.stock: must be at least 1/,
    apiServer:
      /spec\.coupon\.stock: Invalid value: 0: spec\.coupon\.stock in body should be greater than or equal to 1/,
  },
  {
    name: 'no admission rate',
    spec: (s) => set(s, (v) => (v.admission = {} as never)),
    zod: /admission\.dispatchPerSecond: is required/,
    apiServer: /spec\.admission\.dispatchPerSecond: Required value/,
  },
  {
    name: 'a spike difficulty no higher than the base difficulty',
    spec: (s) =>
      set(
        s,
        (v) =>
          (v.admission.proofOfWork = {
            enabled: true,
            difficulty: 50_000,
            spike: { joinsPerSecond: 100, difficulty: 50_000 },
          }),
      ),
    zod: /admission\.proofOfWork\.spike\.difficulty: spike\.difficulty must be more than difficulty/,
    apiServer:
      /spec\.admission\.proofOfWork\.spike\.difficulty: .*spike\.difficulty must be more than difficulty/,
  },
  {
    name: 'a proof of work too easy to cost anything',
    spec: (s) => set(s, (v) => (v.admission.proofOfWork = { enabled: true, difficulty: 10 })),
    zod: /admission\.proofOfWork\.difficulty: must be at least 100/,
    apiServer:
      /spec\.admission\.proofOfWork\.difficulty: Invalid value: 10: spec\.admission\.proofOfWork\.difficulty in body should be greater than or equal to 100/,
  },
  {
    name: 'a percent discount given as an amount',
    spec: (s) =>
      set(s, (v) => (v.coupon.discount = { type: 'percent', amount: 5000, currency: 'KRW' })),
    zod: /coupon\.discount: a percent discount needs percent and no amount/,
    apiServer: /spec\.coupon\.discount: .*a percent discount needs percent and no amount/,
  },
  {
    name: 'a fixed discount without a currency',
    spec: (s) => set(s, (v) => (v.coupon.discount = { type: 'fixed', amount: 5000 })),
    zod: /coupon\.discount: a fixed discount needs amount and currency and no percent/,
    apiServer:
      /spec\.coupon\.discount: .*a fixed discount needs amount and currency and no percent/,
  },
  {
    name: 'more than 100 percent off',
    spec: (s) => set(s, (v) => (v.coupon.discount = { type: 'percent', percent: 150 })),
    zod: /coupon\.discount\.percent: must be at most 100/,
    apiServer: /spec\.coupon\.discount\.percent: Invalid value: 150: .*less than or equal to 100/,
  },
  {
    name: 'coupons that never expire',
    spec: (s) => set(s, (v) => (v.coupon.validity = { startsAt: '2026-11-27T00:00:00Z' })),
    zod: /coupon\.validity: set endsAt or validForHours so coupons expire/,
    apiServer: /spec\.coupon\.validity: .*set endsAt or validForHours so coupons expire/,
  },
  {
    name: 'coupons that expire before the sale opens',
    spec: (s) => set(s, (v) => (v.coupon.validity = { endsAt: '2026-11-20T00:00:00Z' })),
    zod: /coupon\.validity\.endsAt: coupon\.validity\.endsAt is before schedule\.opensAt/,
    apiServer: /spec\.coupon\.validity\.endsAt: .*every coupon would be expired when issued/,
  },
  {
    name: 'more minimum issuers than maximum',
    spec: (s) => set(s, (v) => (v.issuer = { minReplicas: 5, maxReplicas: 2 })),
    zod: /issuer\.minReplicas: minReplicas must not exceed maxReplicas/,
    apiServer: /spec\.issuer\.minReplicas: .*minReplicas must not exceed maxReplicas/,
  },
  {
    name: 'an event id with a slash',
    spec: (s) => set(s, (v) => (v.eventId = 'black/friday')),
    zod: /eventId: must be 1-63 letters, digits/,
    apiServer: /spec\.eventId: Invalid value: "black\/friday": spec\.eventId in body should match/,
  },
  {
    name: 'an unknown admission mode',
    spec: (s) => set(s, (v) => (v.admission.mode = 'lifo' as never)),
    zod: /admission\.mode: must be one of "fifo", "paused"/,
    apiServer:
      /spec\.admission\.mode: Unsupported value: "lifo": supported values: "fifo", "paused"/,
  },
  {
    name: 'an opening time people write but machines cannot read',
    spec: (s) => set(s, (v) => (v.schedule.opensAt = 'tomorrow 9am')),
    zod: /schedule\.opensAt: must be an RFC 3339 date-time/,
    // The CRD checks times with its own rule (time.ts), no longer `format: date-time`.
    apiServer:
      /spec\.schedule\.opensAt: Invalid value: "string": must be an RFC 3339 date-time such as 2026-11-27T00:00:00Z .*, not "tomorrow 9am"/,
  },
  {
    name: 'a lower-case code prefix',
    spec: (s) => set(s, (v) => (v.coupon.code = { prefix: 'bf-', length: 12 })),
    zod: /coupon\.code\.prefix: must be up to 12 upper-case letters/,
    apiServer: /spec\.coupon\.code\.prefix: Invalid value: "bf-"/,
  },
  {
    name: 'a cap on a fixed discount',
    spec: (s) =>
      set(
        s,
        (v) =>
          (v.coupon.discount = { type: 'fixed', amount: 1000, currency: 'USD', maxAmount: 500 }),
      ),
    zod: /coupon\.discount\.maxAmount: maxAmount caps a percent discount and needs currency/,
    apiServer:
      /spec\.coupon\.discount\.maxAmount: .*maxAmount caps a percent discount and needs currency/,
  },
];

/** Every time of the spec, as a path, and how to set it on a valid spec. */
export const timeFields: { path: string; set: (s: CouponEventSpecInput, value: string) => void }[] =
  [
    { path: 'schedule.opensAt', set: (s, v) => (s.schedule.opensAt = v) },
    { path: 'schedule.closesAt', set: (s, v) => (s.schedule.closesAt = v) },
    { path: 'schedule.preQueueOpensAt', set: (s, v) => (s.schedule.preQueueOpensAt = v) },
    { path: 'coupon.validity.startsAt', set: (s, v) => (s.coupon.validity.startsAt = v) },
    { path: 'coupon.validity.endsAt', set: (s, v) => (s.coupon.validity.endsAt = v) },
  ];

/**
 * Times the API server's `format: date-time` takes and the platform does not, each of
 * which used to pass `kubectl apply` and then fail the event with a message about the
 * order of times ("closesAt must be after opensAt") instead of the time itself.
 */
export const laxTimes = [
  '2026-11-27t00:00:00z',
  '2026-11-27T00:00:00+24:00',
  '2026-11-27T00:00:00+05:99',
  '2026-11-27T00:00:00,5Z',
];

/** The sentence both zod and the API server say about a malformed time. */
export const timeMessage =
  'must be an RFC 3339 date-time such as 2026-11-27T00:00:00Z (upper-case T and Z, offsets up to ±23:59)';
