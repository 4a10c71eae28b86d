/**
 * Stable error codes: clients, dashboards and tests match on these, never on
 * messages, so a code is never renamed or reused once released.
 */
export const ErrorCode = {
  ValidationFailed: 'VALIDATION_FAILED',
  UnknownEvent: 'UNKNOWN_EVENT',
  EventNotOpen: 'EVENT_NOT_OPEN',
  EventClosed: 'EVENT_CLOSED',
  QueueFull: 'QUEUE_FULL',
  SoldOut: 'SOLD_OUT',
  AlreadyIssued: 'ALREADY_ISSUED',
  NotInQueue: 'NOT_IN_QUEUE',
  RateLimited: 'RATE_LIMITED',
  Overloaded: 'OVERLOADED',
  Unauthenticated: 'UNAUTHENTICATED',
  InvalidTicket: 'INVALID_TICKET',
  InvalidMessage: 'INVALID_MESSAGE',
  UnsupportedMessageVersion: 'UNSUPPORTED_MESSAGE_VERSION',
  /** A record that must be signed is not, or its signature is not one of the keys'. */
  InvalidSignature: 'INVALID_SIGNATURE',
  InvalidConfig: 'INVALID_CONFIG',
  StockBelowIssued: 'STOCK_BELOW_ISSUED',
  EventIdConflict: 'EVENT_ID_CONFLICT',
  Unavailable: 'UNAVAILABLE',
  /** Redemption: no coupon with that code for the tenant. */
  CouponNotFound: 'COUPON_NOT_FOUND',
  /** Redemption: the coupon was issued to another user. */
  CouponNotOwned: 'COUPON_NOT_OWNED',
  /** Redemption: the coupon's validity window has not begun. */
  CouponNotYetValid: 'COUPON_NOT_YET_VALID',
  /** Redemption: the coupon's validity window has ended. */
  CouponExpired: 'COUPON_EXPIRED',
  /** Redemption: the order is below the coupon's minimum order amount. */
  OrderBelowMinimum: 'ORDER_BELOW_MINIMUM',
  /** Redemption: the order's currency is not the coupon's. */
  CurrencyMismatch: 'CURRENCY_MISMATCH',
  /** Redemption: the coupon is redeemed by another order (released coupons can be redeemed again). */
  CouponAlreadyRedeemed: 'COUPON_ALREADY_REDEEMED',
  /** Redemption: the code matches coupons of several sales; name the event. */
  CouponCodeAmbiguous: 'COUPON_CODE_AMBIGUOUS',
  /** An Idempotency-Key already used for a different request. */
  IdempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  /** The caller may not act for that tenant. */
  Forbidden: 'FORBIDDEN',
  /** No such route or resource (HTTP 404 that is not an unknown event). */
  NotFound: 'NOT_FOUND',
  /** The event asks for proof of work on join and the request carries none (X-Pow-Solution). */
  PowRequired: 'POW_REQUIRED',
  /** The proof of work does not verify: expired, forged, wrong number, or another event's. */
  PowInvalid: 'POW_INVALID',
  /** The proof of work was already used for a join: each solution joins once. */
  PowReplayed: 'POW_REPLAYED',
  /** A failure the service did not expect; the message says nothing internal. */
  Internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An expected failure with a stable code and a sentence a person can act on. */
export class RediclaimError extends Error {
  override readonly name = 'RediclaimError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): { code: ErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export function isRediclaimError(error: unknown, code?: ErrorCode): error is RediclaimError {
  return error instanceof RediclaimError && (code === undefined || error.code === code);
}
