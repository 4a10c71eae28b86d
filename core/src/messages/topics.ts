/** Default Kafka topic names; services take a prefix or overrides from their config. */
export const DefaultTopics = {
  /** gate → issuer: one record per admission batch (v2; v1 records held one shopper). */
  issueRequests: 'rediclaim.issue-requests',
  /** issuer → gate: one final outcome per request, one record per decided batch (v2). */
  issueResults: 'rediclaim.issue-results',
  /** Messages nobody could process, with the reason, for people to inspect. */
  deadLetters: 'rediclaim.dead-letters',
} as const;
export type Topics = { [K in keyof typeof DefaultTopics]: string };

/**
 * issuer → other services: the coupons' domain events (CouponIssued, CouponRedeemed,
 * CouponReleased), from the issuer's outbox. Not one of `Topics`: only the issuer
 * writes it and only consumers outside the issue pipeline read it.
 */
export const DEFAULT_COUPONS_TOPIC = 'rediclaim.coupons';
