import { z } from 'zod';
import { tenantSchema } from '../config/events-config.js';
import { couponSchema, eventIdSchema } from '../couponevent/spec.js';
import { ticketSchema, userIdSchema } from '../identity.js';

/**
 * What the issuer needs to decide a request, copied from the event's rendered config
 * at admission. Carrying it in the message (stamped with the config generation) means
 * the issuer never decides on an older stock than the gate admitted against.
 */
export const issuePolicySchema = couponSchema.extend({
  generation: z.int().min(0),
});
export type IssuePolicy = z.output<typeof issuePolicySchema>;

/** gate → issuer: one admitted shopper. Version 1. */
export const issueRequestSchema = z.object({
  type: z.literal('IssueRequest'),
  version: z.literal(1),
  requestId: z.string().min(1).max(400),
  tenant: tenantSchema,
  eventId: eventIdSchema,
  userId: userIdSchema,
  ticket: ticketSchema,
  /**
   * The CouponEvent's uid: a sale deleted and applied again under the same id (or taken
   * over by another CouponEvent) is another sale, with its own stock, codes and history.
   * Absent from standalone gates and from gates before it existed: the issuer then
   * decides against the event's newest sale.
   */
  uid: z.string().min(1).max(64).optional(),
  admittedAt: z.iso.datetime({ offset: true }),
  policy: issuePolicySchema,
});
export type IssueRequest = z.output<typeof issueRequestSchema>;
