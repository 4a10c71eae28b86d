import { z } from 'zod';
import { tenantSchema } from '../config/events-config.js';
import { discountSchema, eventIdSchema } from '../couponevent/spec.js';
import { ticketSchema, userIdSchema } from '../identity.js';
import { issueOutcomes } from './outcome.js';

const dateTime = z.iso.datetime({ offset: true });

export const issuedCouponSchema = z.object({
  code: z.string().min(1).max(64),
  /** 1-based position of this coupon in the event's issuance order. */
  serial: z.int().min(1),
  discount: discountSchema,
  validFrom: dateTime,
  validUntil: dateTime,
  issuedAt: dateTime,
});
export type IssuedCoupon = z.output<typeof issuedCouponSchema>;

/** issuer → gate: the final outcome of one request. Version 1. */
export const issueResultSchema = z
  .object({
    type: z.literal('IssueResult'),
    version: z.literal(1),
    requestId: z.string().min(1).max(400),
    tenant: tenantSchema,
    eventId: eventIdSchema,
    userId: userIdSchema,
    ticket: ticketSchema,
    /** The request's sale (its CouponEvent uid), when the request named one. */
    uid: z.string().min(1).max(64).optional(),
    outcome: z.enum(issueOutcomes),
    coupon: issuedCouponSchema.optional(),
    /** Why, for REJECTED (a RejectReason). */
    reason: z.string().max(200).optional(),
    /** Stock left after the batch that decided this request: lets the gate announce sold out. */
    remaining: z.int().min(0),
    /** The stock the decision was made against. */
    stock: z.int().min(0),
    decidedAt: dateTime,
  })
  .refine((r) => (r.outcome === 'ISSUED') === (r.coupon !== undefined), {
    message: 'an ISSUED result carries its coupon, and only an ISSUED one',
    path: ['coupon'],
  });
export type IssueResult = z.output<typeof issueResultSchema>;
