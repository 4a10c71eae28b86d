import { z } from 'zod';

/** Where a CouponEvent is in its life; shown by `kubectl get couponevents`. */
export const Phase = {
  Scheduled: 'Scheduled',
  PreQueue: 'PreQueue',
  Open: 'Open',
  Paused: 'Paused',
  SoldOut: 'SoldOut',
  Closed: 'Closed',
  Failed: 'Failed',
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];
export const phases = Object.values(Phase) as [Phase, ...Phase[]];

/** Condition types the operator maintains, in the positive polarity the API conventions ask for. */
export const ConditionType = {
  /** The spec passed the checks only the operator can make (eventId unique, stock not below issued). */
  Accepted: 'Accepted',
  /** The event's config is in the gate ConfigMap at this generation. */
  Configured: 'Configured',
  /** Every coupon has been issued. */
  SoldOut: 'SoldOut',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

const dateTime = z.iso.datetime({ offset: true });

export const conditionSchema = z.object({
  type: z.string().min(1).max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z
    .string()
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/, 'must be CamelCase, like StockBelowIssued'),
  message: z.string().max(32_768),
  lastTransitionTime: dateTime,
  observedGeneration: z.int().min(0).optional(),
});
export type Condition = z.output<typeof conditionSchema>;

const count = z.int().min(0);

export const countsSchema = z
  .object({
    waiting: count.meta({ description: 'Shoppers in the queue.' }),
    processing: count.meta({ description: 'Shoppers admitted and waiting for the issuer.' }),
    issued: count.meta({ description: 'Coupons issued.' }),
    remaining: count.meta({ description: 'Stock not yet issued.' }),
  })
  .meta({ description: 'Live counts read from the platform.' });
export type Counts = z.output<typeof countsSchema>;

export const couponEventStatusSchema = z
  .object({
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .meta({ description: 'The generation this status describes.' }),
    phase: z.enum(phases).optional(),
    eventId: z
      .string()
      .max(63)
      .optional()
      .meta({ description: 'The public id shoppers use in URLs.' }),
    stock: count.optional().meta({ description: 'The stock the platform is working with.' }),
    counts: countsSchema.optional(),
    nextTransitionAt: dateTime
      .optional()
      .meta({ description: 'When the phase changes next, by the schedule.' }),
    conditions: z
      .array(conditionSchema)
      .max(16)
      .optional()
      .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
  })
  .meta({ description: 'What the operator last observed.' });
export type CouponEventStatus = z.output<typeof couponEventStatusSchema>;
