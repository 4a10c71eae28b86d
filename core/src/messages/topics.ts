/** Default Kafka topic names; services take a prefix or overrides from their config. */
export const DefaultTopics = {
  /** gate → issuer: one message per admitted shopper. */
  issueRequests: 'rediclaim.issue-requests',
  /** issuer → gate: one final outcome per request. */
  issueResults: 'rediclaim.issue-results',
  /** Messages nobody could process, with the reason, for people to inspect. */
  deadLetters: 'rediclaim.dead-letters',
} as const;
export type Topics = { [K in keyof typeof DefaultTopics]: string };
