/** The final answer the issuer gives one request. */
export const IssueOutcome = {
  Issued: 'ISSUED',
  SoldOut: 'SOLD_OUT',
  AlreadyIssued: 'ALREADY_ISSUED',
  Rejected: 'REJECTED',
} as const;
export type IssueOutcome = (typeof IssueOutcome)[keyof typeof IssueOutcome];
export const issueOutcomes = Object.values(IssueOutcome) as [IssueOutcome, ...IssueOutcome[]];

/** Why a request was REJECTED; stable codes like ErrorCode. */
export const RejectReason = {
  /** The coupons' validity window had ended when the request was decided. */
  CouponWindowEnded: 'COUPON_WINDOW_ENDED',
  /** The event's stock was lowered below what was already issued; the request was not decided on it. */
  StockBelowIssued: 'STOCK_BELOW_ISSUED',
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

/**
 * Every state a shopper can be in for one event, as the gate reports it. The issuer's
 * outcomes are final states; the rest describe the queue or the event itself.
 */
export const UserStatus = {
  Waiting: 'WAITING',
  Processing: 'PROCESSING',
  ...IssueOutcome,
  NotInQueue: 'NOT_IN_QUEUE',
  EventNotOpen: 'EVENT_NOT_OPEN',
  EventClosed: 'EVENT_CLOSED',
  UnknownEvent: 'UNKNOWN_EVENT',
} as const;
export type UserStatus = (typeof UserStatus)[keyof typeof UserStatus];

/** States after which polling can never give the shopper anything new. */
export function isFinalStatus(status: UserStatus): boolean {
  return (
    status !== UserStatus.Waiting &&
    status !== UserStatus.Processing &&
    status !== UserStatus.EventNotOpen
  );
}
