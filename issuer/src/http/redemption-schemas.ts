import {
  errorJsonSchema,
  jsonSchemaOf,
  discountSchema,
  eventIdSchema,
  tenantSchema,
  userIdSchema,
} from '@rediclaim/core';

/**
 * JSON schemas of the redemption API: fastify validates requests and serialises answers
 * with them, @fastify/swagger makes them the OpenAPI document. Identifiers come from
 * core's zod schemas, as on the gate.
 */
const tenant = jsonSchemaOf(tenantSchema, 'The namespace that owns the coupon event.');
const eventId = jsonSchemaOf(
  eventIdSchema,
  'The event, when a code could name coupons of several.',
);
const userId = jsonSchemaOf(userIdSchema, 'The shopper the coupon was issued to.');
const amount = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER };
const currency = {
  type: 'string',
  pattern: '^[A-Z]{3}$',
  description: 'ISO 4217; refused when the coupon is in another one.',
};
const code = { type: 'string', minLength: 1, maxLength: 64, description: 'The coupon code.' };
const orderId = {
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: '^[A-Za-z0-9._:@/+=-]+$',
  description: "The shop's order.",
};
const dateTime = { type: 'string', format: 'date-time' };

export const errorJson = errorJsonSchema('RedemptionError');

export const redemptionJson = {
  $id: 'Redemption',
  type: 'object',
  properties: {
    id: { type: 'string', description: 'rdm_<n>, stable.' },
    state: { type: 'string', enum: ['REDEEMED', 'RELEASED'] },
    couponId: { type: 'string', description: 'cpn_<sale>_<serial>, as in the lifecycle events.' },
    code: { type: 'string' },
    tenant: { type: 'string' },
    eventId: { type: 'string' },
    userId: { type: 'string' },
    orderId: { type: 'string' },
    orderAmount: amount,
    discountAmount: { ...amount, description: 'What the coupon took off, in minor units.' },
    currency: { type: 'string' },
    redeemedAt: dateTime,
    releasedAt: dateTime,
    releaseReason: { type: 'string' },
  },
  required: [
    'id',
    'state',
    'couponId',
    'code',
    'tenant',
    'eventId',
    'userId',
    'orderId',
    'orderAmount',
    'discountAmount',
    'redeemedAt',
  ],
} as const;

const discountJson = jsonSchemaOf(discountSchema, 'The discount, as the CouponEvent set it.');

export const couponJson = {
  $id: 'Coupon',
  type: 'object',
  properties: {
    id: { type: 'string', description: 'cpn_<sale>_<serial>, stable.' },
    code: { type: 'string' },
    tenant: { type: 'string' },
    eventId: { type: 'string' },
    userId: { type: 'string' },
    serial: { type: 'integer' },
    discount: discountJson,
    validFrom: dateTime,
    validUntil: dateTime,
    issuedAt: dateTime,
    state: { type: 'string', enum: ['AVAILABLE', 'REDEEMED'] },
    redemption: { $ref: 'Redemption#' },
    history: {
      type: 'array',
      description: 'Redemptions, releases and refused redemptions, oldest first.',
      items: {
        type: 'object',
        properties: {
          action: { type: 'string', enum: ['REDEEMED', 'RELEASED', 'REFUSED'] },
          at: dateTime,
          redemptionId: { type: 'string' },
          orderId: { type: 'string' },
          code: { type: 'string', description: 'For REFUSED: the error code answered.' },
          detail: { type: 'string' },
        },
        required: ['action', 'at'],
      },
    },
  },
  required: [
    'id',
    'code',
    'tenant',
    'eventId',
    'userId',
    'serial',
    'discount',
    'validFrom',
    'validUntil',
    'issuedAt',
    'state',
    'history',
  ],
} as const;

export const validationJson = {
  $id: 'Validation',
  type: 'object',
  properties: {
    valid: { type: 'boolean' },
    discountAmount: amount,
    reason: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
    coupon: { $ref: 'Coupon#' },
  },
  required: ['valid', 'discountAmount', 'coupon'],
} as const;

export const tenantParams = {
  type: 'object',
  properties: { tenant },
  required: ['tenant'],
  additionalProperties: false,
} as const;

export const couponParams = {
  type: 'object',
  properties: { tenant, code },
  required: ['tenant', 'code'],
  additionalProperties: false,
} as const;

export const redemptionParams = {
  type: 'object',
  properties: {
    tenant,
    redemptionId: { type: 'string', pattern: '^rdm_[0-9]{1,15}$', description: 'rdm_<n>' },
  },
  required: ['tenant', 'redemptionId'],
  additionalProperties: false,
} as const;

export const eventQuery = {
  type: 'object',
  properties: { eventId },
  additionalProperties: false,
} as const;

export const validateBody = {
  type: 'object',
  properties: { userId, orderAmount: amount, currency, eventId },
  required: ['userId', 'orderAmount'],
  additionalProperties: false,
} as const;

export const redeemBody = {
  type: 'object',
  properties: { code, userId, orderId, orderAmount: amount, currency, eventId },
  required: ['code', 'userId', 'orderId', 'orderAmount'],
  additionalProperties: false,
} as const;

export const idempotencyHeaders = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'Required. One per redemption the shop means; a retry sends the same key and gets the same answer.',
    },
  },
  required: ['idempotency-key'],
} as const;

export const releaseBody = {
  type: 'object',
  properties: {
    reason: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: 'Why the coupon is given back (order cancelled, payment failed, ...).',
    },
  },
  required: ['reason'],
  additionalProperties: false,
} as const;

export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { $ref: 'RedemptionError#' }]));
