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

/**
 * Condition types the operator maintains. `Ready` and the abnormal-true `Reconciling` and
 * `Stalled` are kstatus' (what Flux and Argo CD health checks read); the rest are in the
 * positive polarity the API conventions ask for.
 */
export const ConditionType = {
  /** The current generation is accepted and configured everywhere it must be. */
  Ready: 'Ready',
  /** Present (True) while the operator works towards Ready: it retries by itself. */
  Reconciling: 'Reconciling',
  /** Present (True) while the spec is refused: nothing changes until the spec does. */
  Stalled: 'Stalled',
  /** The spec passed the checks only the operator can make (eventId unique, stock not below issued). */
  Accepted: 'Accepted',
  /** The event's config is in the gate ConfigMap at this generation. */
  Configured: 'Configured',
  /** Every coupon has been issued. */
  SoldOut: 'SoldOut',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

const dateTime = z.iso.datetime({ offset: true });

export const conditionSchema = z
  .object({
    type: z.string().min(1).max(316).meta({
      description:
        'Ready, Reconciling, Stalled, Accepted, Configured, SoldOut, IssuerScaled, AdmittingAtRate, CountsAvailable or CleanedUp.',
    }),
    status: z.enum(['True', 'False', 'Unknown']).meta({ description: 'True, False or Unknown.' }),
    reason: z
      .string()
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/, 'must be CamelCase, like StockBelowIssued')
      .meta({ description: 'Why, in one CamelCase word for machines (StockBelowIssued).' }),
    message: z.string().max(32_768).meta({ description: 'Why, in a sentence for people.' }),
    lastTransitionTime: dateTime.meta({
      description: 'When status last changed (a new reason or message alone keeps it).',
    }),
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .meta({ description: 'The metadata.generation this condition was judged against.' }),
  })
  .meta({ description: 'One aspect of the event, as the operator last judged it.' });
export type Condition = z.output<typeof conditionSchema>;

const count = z.int().min(0);

export const countsSchema = z
  .object({
    waiting: count.meta({ description: 'Shoppers in the queue.' }),
    processing: count.meta({ description: 'Shoppers admitted and waiting for the issuer.' }),
    issued: count.meta({ description: 'Coupons issued.' }),
    remaining: count.meta({ description: 'Stock not yet issued.' }),
    redeemed: count.optional().meta({
      description:
        'Coupons currently redeemed at the shop (redeemed and not released); absent while the gate does not report it.',
    }),
  })
  .meta({ description: 'Live counts read from the platform.' });
export type Counts = z.output<typeof countsSchema>;

const perSecond = z.int().min(0);

export const admissionStatusSchema = z
  .object({
    configuredPerSecond: perSecond.meta({ description: 'spec.admission.dispatchPerSecond.' }),
    allowedPerSecond: perSecond.meta({
      description:
        'What the gates admit at most now: the configured rate while issuance keeps up, less while admitted shoppers wait too long for their outcome (see the AdmittingAtRate condition).',
    }),
    observedPerSecond: perSecond.meta({
      description: 'Shoppers the gates admitted per second lately (a moving average), rounded.',
    }),
  })
  .meta({ description: 'Admission while the event is Open, from the gates.' });
export type AdmissionStatus = z.output<typeof admissionStatusSchema>;

export const couponEventStatusSchema = z
  .object({
    observedGeneration: z
      .int()
      .min(0)
      .optional()
      .meta({ description: 'The metadata.generation this status describes.' }),
    phase: z.enum(phases).optional().meta({
      description:
        'Scheduled (before the pre-queue or opening), PreQueue (joining, nobody admitted yet), Open (admitting), Paused (admission.mode paused), SoldOut (every coupon issued), Closed (after closesAt), or Failed (refused and nothing served: see the Accepted condition).',
    }),
    eventId: z
      .string()
      .max(63)
      .optional()
      .meta({ description: 'The public id shoppers use in URLs.' }),
    stock: count.optional().meta({
      description:
        'The stock the platform is working with: spec.coupon.stock of the last accepted generation.',
    }),
    counts: countsSchema.optional(),
    admission: admissionStatusSchema.optional(),
    nextTransitionAt: dateTime
      .optional()
      .meta({ description: 'When the phase changes next, by the schedule.' }),
    conditions: z
      .array(conditionSchema)
      .max(16)
      .optional()
      .meta({
        description:
          'The latest observations, one per type. Ready says whether this generation is in effect; its reason is the REASON column.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      }),
  })
  .meta({ description: 'What the operator last observed.' });
export type CouponEventStatus = z.output<typeof couponEventStatusSchema>;
