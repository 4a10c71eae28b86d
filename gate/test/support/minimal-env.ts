/** The least a gate's settings need, for tests of one setting at a time. */
export const minimalGateEnv = {
  REDIS_URL: 'redis://localhost:6379',
  KAFKA_BROKERS: 'localhost:9092',
  EVENTS_FILE: '/x.yaml',
  ADMIN_TOKEN: 'an-admin-token-of-16+',
  REQUEST_SIGNING_KEYS: 'k1=a-request-signing-secret-of-32-chars!',
} as const;
