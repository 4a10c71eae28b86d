import type { ErrorCode } from './errors.js';
import { tenantSchema } from './config/events-config.js';
import { eventIdSchema } from './couponevent/spec.js';
import { userIdSchema } from './identity.js';
import { check } from './validation.js';

/**
 * HTTP status of each error code, one table for the gate and the issuer's redemption API:
 * refusals are 4xx, capacity problems 503 with Retry-After.
 */
export const httpStatusOf: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  INVALID_TICKET: 401,
  UNKNOWN_EVENT: 404,
  NOT_FOUND: 404,
  EVENT_NOT_OPEN: 409,
  EVENT_CLOSED: 409,
  SOLD_OUT: 409,
  ALREADY_ISSUED: 409,
  NOT_IN_QUEUE: 409,
  RATE_LIMITED: 429,
  QUEUE_FULL: 503,
  OVERLOADED: 503,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  INVALID_MESSAGE: 400,
  UNSUPPORTED_MESSAGE_VERSION: 400,
  INVALID_SIGNATURE: 400,
  INVALID_CONFIG: 500,
  STOCK_BELOW_ISSUED: 409,
  EVENT_ID_CONFLICT: 409,
  COUPON_NOT_FOUND: 404,
  COUPON_NOT_OWNED: 403,
  COUPON_NOT_YET_VALID: 422,
  COUPON_EXPIRED: 422,
  ORDER_BELOW_MINIMUM: 422,
  CURRENCY_MISMATCH: 422,
  COUPON_ALREADY_REDEEMED: 409,
  COUPON_CODE_AMBIGUOUS: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  FORBIDDEN: 403,
  POW_REQUIRED: 428,
  POW_INVALID: 403,
  POW_REPLAYED: 403,
};

// Core's messages for the identifiers, so a bad userId reads the same everywhere.
const fieldSchemas: Record<string, Parameters<typeof check>[0]> = {
  userId: userIdSchema,
  eventId: eventIdSchema,
  tenant: tenantSchema,
};

export interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "querystring.userId: may contain only letters, ..." from fastify's (ajv's) errors. */
export function describeValidation(
  errors: readonly AjvError[],
  context: string | undefined,
  input: unknown,
): string {
  return errors
    .map((e) => {
      const field =
        e.keyword === 'required'
          ? String(e.params.missingProperty)
          : e.keyword === 'additionalProperties'
            ? String(e.params.additionalProperty)
            : e.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const where = [context, field].filter(Boolean).join('.');
      let message = e.message ?? 'is invalid';
      if (e.keyword === 'required') message = 'is required';
      else if (e.keyword === 'additionalProperties') message = 'is not a known parameter';
      else if (field in fieldSchemas) {
        const value = (input as Record<string, unknown> | undefined)?.[field];
        const result = check(fieldSchemas[field]!, value);
        if (!result.ok) message = result.problems[0]!.message;
      }
      return `${where}: ${message}`;
    })
    .join('; ');
}
