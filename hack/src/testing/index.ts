// Test kit shared by every package's tests: where the test stack listens, and
// isolated state (a database, topics, a namespace) per suite.
export * from './env.js';
export * from './names.js';
export * from './redis.js';
export * from './mysql.js';
export * from './kafka.js';
export * from './kube.js';
export * from './crd.js';
export * from './private-stack.js';
export * from './services.js';
export * from './e2e.js';
export * from './gate-admin-fake.js';
export * from './wait.js';
