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

/**
 * gate → issuer: one admission batch of one sale, version 2: what the shoppers share is
 * said once (event, sale, admission instant, policy), then one item per shopper. The
 * header is validated once, each item on its own.
 */
export const issueRequestBatchHeaderSchema = z.object({
  type: z.literal('IssueRequestBatch'),
  version: z.literal(2),
  tenant: tenantSchema,
  eventId: eventIdSchema,
  uid: z.string().min(1).max(64).optional(),
  admittedAt: z.iso.datetime({ offset: true }),
  policy: issuePolicySchema,
});
export type IssueRequestBatchHeader = z.output<typeof issueRequestBatchHeaderSchema>;

/** One shopper of an IssueRequestBatch; requestId is requestIdOf(tenant, eventId, userId, ticket). */
export const issueRequestItemSchema = z.object({
  requestId: z.string().min(1).max(400),
  userId: userIdSchema,
  ticket: ticketSchema,
});
export type IssueRequestItem = z.output<typeof issueRequestItemSchema>;

/**
 * One item of a batch as the request it stands for. Services hold requests one per
 * shopper whatever record they came in (the v1 shape); the policy object is shared.
 */
export function requestOfItem(
  header: IssueRequestBatchHeader,
  item: IssueRequestItem,
): IssueRequest {
  const request: IssueRequest = {
    type: 'IssueRequest',
    version: 1,
    requestId: item.requestId,
    tenant: header.tenant,
    eventId: header.eventId,
    userId: item.userId,
    ticket: item.ticket,
    admittedAt: header.admittedAt,
    policy: header.policy,
  };
  if (header.uid !== undefined) request.uid = header.uid;
  return request;
}
