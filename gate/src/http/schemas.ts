import {
  errorJsonSchema,
  jsonSchemaOf,
  Phase,
  UserStatus,
  eventIdSchema,
  eventStatsSchema,
  tenantSchema,
  userIdSchema,
} from '@rediclaim/core';

/**
 * JSON schemas of the HTTP APIs: fastify validates requests and serialises responses
 * with them, and @fastify/swagger turns them into the OpenAPI document. Identifiers
 * come from core's zod schemas, so the gate accepts exactly what the rest of the
 * platform does.
 */
export const userIdJson = jsonSchemaOf(
  userIdSchema,
  'The shopper: letters, digits and . _ @ : + = -',
);
export const eventIdJson = jsonSchemaOf(eventIdSchema, 'The event id shoppers use in URLs.');
export const tenantJson = jsonSchemaOf(tenantSchema, 'The namespace that owns the event.');

export const eventParams = {
  type: 'object',
  properties: { eventId: eventIdJson },
  required: ['eventId'],
  additionalProperties: false,
} as const;

export const adminEventParams = {
  type: 'object',
  properties: { tenant: tenantJson, eventId: eventIdJson },
  required: ['tenant', 'eventId'],
  additionalProperties: false,
} as const;

/** The query of a route that identifies the shopper: `userId` (required in query mode). */
export function identityQuery(required: boolean, extra: Record<string, unknown> = {}) {
  return {
    type: 'object',
    properties: { userId: userIdJson, ...extra },
    required: required ? ['userId'] : [],
    additionalProperties: false,
  };
}

export const errorJson = errorJsonSchema('rediclaim.gate.Error');

const discountJson = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['percent', 'fixed'] },
    percent: { type: 'number' },
    amount: { type: 'integer' },
    currency: { type: 'string' },
    maxAmount: { type: 'integer' },
    minOrderAmount: { type: 'integer' },
  },
  required: ['type'],
} as const;

const couponJson = {
  type: 'object',
  description: 'The coupon issued to the shopper.',
  properties: {
    code: { type: 'string' },
    serial: { type: 'integer' },
    discount: discountJson,
    validFrom: { type: 'string', format: 'date-time' },
    validUntil: { type: 'string', format: 'date-time' },
    issuedAt: { type: 'string', format: 'date-time' },
  },
  required: ['code', 'serial', 'discount', 'validFrom', 'validUntil', 'issuedAt'],
} as const;

const nullableInt = { type: ['integer', 'null'] } as const;

const redemptionStates = ['AVAILABLE', 'REDEEMED'] as const;

const redemptionJson = {
  type: 'object',
  description:
    "Whether the coupon was used at the shop, from the issuer's lifecycle events: AVAILABLE (never redeemed, or given back) or REDEEMED. Absent when the gate does not follow them.",
  properties: {
    state: { type: 'string', enum: redemptionStates },
    since: {
      type: 'string',
      format: 'date-time',
      description: 'When it was redeemed or given back; absent while never redeemed.',
    },
  },
  required: ['state'],
} as const;

export const statusJson = {
  $id: 'rediclaim.gate.Status',
  type: 'object',
  description: "A shopper's standing in an event.",
  properties: {
    eventId: { type: 'string' },
    status: { type: 'string', enum: Object.values(UserStatus) },
    phase: { type: 'string', enum: Object.values(Phase) },
    rank: { ...nullableInt, description: '1-based place while WAITING; null in the pre-queue.' },
    ahead: { ...nullableInt, description: 'People ahead of the shopper.' },
    etaSeconds: {
      ...nullableInt,
      description: 'Seconds until admission at the live admission rate; null when unknown.',
    },
    preQueue: { type: 'boolean', description: 'Joined before opening: the order is drawn fairly.' },
    pollAfterMs: { ...nullableInt, description: 'When to ask again; null once final.' },
    ticket: {
      type: 'string',
      description: 'Signed ticket: pass it as ?ticket= to resume after a reload.',
    },
    coupon: couponJson,
    redemption: redemptionJson,
    issuedCount: { type: 'integer' },
    reason: { type: 'string' },
    decidedAt: { type: 'string', format: 'date-time' },
    opensAt: { type: 'string', format: 'date-time' },
    closesAt: { type: 'string', format: 'date-time' },
    preQueueOpensAt: { type: 'string', format: 'date-time' },
    formerSale: {
      type: 'object',
      description:
        "The shopper's outcome in a sale this event id had before (deleted, or replaced by the current one): its coupon stays valid.",
      properties: {
        status: { type: 'string', enum: Object.values(UserStatus) },
        coupon: couponJson,
        redemption: redemptionJson,
        decidedAt: { type: 'string', format: 'date-time' },
      },
      required: ['status', 'decidedAt'],
    },
  },
  required: ['eventId', 'status', 'rank', 'ahead', 'etaSeconds', 'preQueue', 'pollAfterMs'],
} as const;

export const joinJson = {
  $id: 'rediclaim.gate.Join',
  type: 'object',
  description: 'The answer to a join: what happened, and where the shopper stands now.',
  properties: {
    joined: { type: 'string', enum: ['ENQUEUED', 'ALREADY_ENQUEUED', 'PROCESSING'] },
    ...statusJson.properties,
  },
  required: ['joined', ...statusJson.required, 'ticket'],
} as const;

export const seedEnqueueJson = {
  type: 'object',
  description:
    'The seed API answer (kept for its clients): joined, or already holding a place; SOLD_OUT (rank null) when the sale sold out before the shopper joined.',
  properties: {
    status: { type: 'string', enum: ['ENQUEUED', 'ALREADY_ENQUEUED', 'PROCESSING', 'SOLD_OUT'] },
    rank: nullableInt,
  },
  required: ['status', 'rank'],
} as const;

export const seedRankJson = {
  type: 'object',
  description: 'The seed API answer: WAITING with a rank, or a later state.',
  properties: {
    status: { type: 'string', enum: Object.values(UserStatus) },
    rank: nullableInt,
    couponCode: { type: 'string' },
    couponState: {
      type: 'string',
      enum: redemptionStates,
      description: "The coupon's redemption state (see the v1 status's redemption).",
    },
    couponStateSince: { type: 'string', format: 'date-time' },
    reason: { type: 'string' },
  },
  required: ['status', 'rank'],
} as const;

export const eventInfoJson = {
  type: 'object',
  properties: {
    eventId: { type: 'string' },
    displayName: { type: 'string' },
    phase: { type: 'string', enum: Object.values(Phase) },
    opensAt: { type: 'string', format: 'date-time' },
    closesAt: { type: ['string', 'null'], format: 'date-time' },
    preQueueOpensAt: { type: ['string', 'null'], format: 'date-time' },
    nextChangeAt: { type: ['string', 'null'], format: 'date-time' },
    secondsToNextChange: nullableInt,
    discount: discountJson,
    perUserLimit: { type: 'integer' },
    stock: { type: 'integer' },
    remaining: { type: 'integer' },
    soldOut: { type: 'boolean' },
    waiting: { type: 'integer' },
    dispatchPerSecond: { type: 'integer' },
    admissionRate: {
      type: 'number',
      description:
        'Observed admissions per second (fleet, shoppers/s, an EWMA over >= 1 s windows), to 2 decimals; 0 when not measured.',
    },
    proofOfWork: {
      type: 'boolean',
      description:
        'Joins need proof of work: a challenge from GET /v1/events/{eventId}/challenge, solved, in the X-Pow-Solution header of the join.',
    },
  },
  required: ['eventId', 'displayName', 'phase', 'opensAt', 'stock', 'remaining', 'soldOut'],
} as const;

export const powChallengeJson = {
  type: 'object',
  description:
    'An ALTCHA (v1) challenge: find the number n (0 <= n <= maxnumber) with SHA-256(salt + n) = challenge (hex), then send base64(JSON {algorithm, challenge, number: n, salt, signature}) in the X-Pow-Solution header of one join before expiresAt. altcha-lib (solveChallenge) and the ALTCHA widget do this.',
  properties: {
    algorithm: { type: 'string', enum: ['SHA-256'] },
    challenge: { type: 'string', description: 'SHA-256 of salt + number, hex.' },
    maxnumber: {
      type: 'integer',
      description: 'The difficulty: the number is at most this (difficulty / 2 tries on average).',
    },
    salt: {
      type: 'string',
      description: 'Random, then the signed parameters: event, sale and expires (epoch seconds).',
    },
    signature: { type: 'string', description: "HMAC-SHA256 of the challenge with the gate's key." },
    expiresAt: {
      type: 'integer',
      description: 'Epoch seconds after which the solution is refused (POW_INVALID).',
    },
  },
  required: ['algorithm', 'challenge', 'maxnumber', 'salt', 'signature', 'expiresAt'],
} as const;

/** The header a join of a proof-of-work event carries its solution in (OpenAPI). */
export const powSolutionHeaders = {
  type: 'object',
  properties: {
    'x-pow-solution': {
      type: 'string',
      maxLength: 2048,
      description:
        "Events with proofOfWork only: base64(JSON {algorithm, challenge, number, salt, signature}), the solved challenge of GET /v1/events/{eventId}/challenge; each joins once. Missing: 428 POW_REQUIRED; not that shape: 400 VALIDATION_FAILED; expired, forged, wrong number or another event's: 403 POW_INVALID; used before: 403 POW_REPLAYED.",
    },
  },
} as const;

export const statsJson = jsonSchemaOf(eventStatsSchema, "One event's live counts.");

export const errorResponses = {
  '4xx': { $ref: 'rediclaim.gate.Error#' },
  '5xx': { $ref: 'rediclaim.gate.Error#' },
} as const;
