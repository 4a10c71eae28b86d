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

/**
 * issuer → gate: the outcomes of one sale's requests decided together, version 2. The
 * header holds what one decision shares (the stock decided against, what remained,
 * when); an item repeats `decidedAt` only when it differs (an answer read back from an
 * earlier decision).
 */
export const issueResultBatchHeaderSchema = z.object({
  type: z.literal('IssueResultBatch'),
  version: z.literal(2),
  tenant: tenantSchema,
  eventId: eventIdSchema,
  uid: z.string().min(1).max(64).optional(),
  remaining: z.int().min(0),
  stock: z.int().min(0),
  decidedAt: dateTime,
});
export type IssueResultBatchHeader = z.output<typeof issueResultBatchHeaderSchema>;

export const issueResultItemSchema = z
  .object({
    requestId: z.string().min(1).max(400),
    userId: userIdSchema,
    ticket: ticketSchema,
    outcome: z.enum(issueOutcomes),
    coupon: issuedCouponSchema.optional(),
    reason: z.string().max(200).optional(),
    decidedAt: dateTime.optional(),
  })
  .refine((r) => (r.outcome === 'ISSUED') === (r.coupon !== undefined), {
    message: 'an ISSUED result carries its coupon, and only an ISSUED one',
    path: ['coupon'],
  });
export type IssueResultItem = z.output<typeof issueResultItemSchema>;

/** One item of a result batch as the one result it stands for (the v1 shape). */
export function resultOfItem(header: IssueResultBatchHeader, item: IssueResultItem): IssueResult {
  const result: IssueResult = {
    type: 'IssueResult',
    version: 1,
    requestId: item.requestId,
    tenant: header.tenant,
    eventId: header.eventId,
    userId: item.userId,
    ticket: item.ticket,
    outcome: item.outcome,
    remaining: header.remaining,
    stock: header.stock,
    decidedAt: item.decidedAt ?? header.decidedAt,
  };
  if (header.uid !== undefined) result.uid = header.uid;
  if (item.coupon !== undefined) result.coupon = item.coupon;
  if (item.reason !== undefined) result.reason = item.reason;
  return result;
}

/** The header and item a result travels as in a batch whose header is `header`. */
export function resultBatchHeaderOf(result: IssueResult): IssueResultBatchHeader {
  const header: IssueResultBatchHeader = {
    type: 'IssueResultBatch',
    version: 2,
    tenant: result.tenant,
    eventId: result.eventId,
    remaining: result.remaining,
    stock: result.stock,
    decidedAt: result.decidedAt,
  };
  if (result.uid !== undefined) header.uid = result.uid;
  return header;
}

export function resultItemOf(result: IssueResult, header: IssueResultBatchHeader): IssueResultItem {
  const item: IssueResultItem = {
    requestId: result.requestId,
    userId: result.userId,
    ticket: result.ticket,
    outcome: result.outcome,
  };
  if (result.coupon !== undefined) item.coupon = result.coupon;
  if (result.reason !== undefined) item.reason = result.reason;
  if (result.decidedAt !== header.decidedAt) item.decidedAt = result.decidedAt;
  return item;
}
