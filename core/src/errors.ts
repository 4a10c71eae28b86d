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
  /** No such route or resource (HTTP 404 that is not an unknown event). */
  NotFound: 'NOT_FOUND',
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
