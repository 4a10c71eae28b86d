// Test kit shared by every package's tests: where the test stack listens, and
// isolated state (a database, topics, a namespace) per suite.
export { repoRoot, stackEnv, type RedisClusterNode, type StackEnv } from './env.js';
export { uniqueName } from './names.js';
export { gateRedisEnv, redisClusterNodesOf, testRedis, testRedisCluster } from './redis.js';
export { createTestDatabase, type TestDatabase } from './mysql.js';
export {
  createTestTopics,
  deleteTestTopics,
  kafkaSecurityEnv,
  stackKafka,
  testKafka,
} from './kafka.js';
export { createTestNamespace, testKubeConfig, type TestNamespace } from './kube.js';
export { ensureCouponEventCrd } from './crd.js';
export { freePorts } from './free-ports.js';
export { startPrivateStack, type Component, type PrivateStack } from './private-stack.js';
export {
  mysqlHostsOf,
  mysqlPairOf,
  mysqlRoot,
  mysqlUrlOn,
  semiSyncOf,
  type MysqlServer,
  type SemiSync,
} from './mysql-replica.js';
export {
  startService,
  type ServiceName,
  type ServiceProcess,
  type StartOptions,
} from './services.js';
export { startE2E, type E2E } from './e2e.js';
export { startGateAdminFake, type GateAdminFake, type GateAdminStats } from './gate-admin-fake.js';
export { waitFor } from './wait.js';
export { startPrometheus, type PrometheusServer, type PromSample } from './prometheus.js';
export {
  histogramQuantile,
  parseMetrics,
  samplesOf,
  valueOf,
  type Sample,
} from './metrics-text.js';
// Clients that solve the gate's proof-of-work challenges (the crowd's, the suites').
export {
  powSolutionHeader,
  solvePow,
  type PowChallengeJson,
  type PowSolverKind,
} from '../crowd/pow-solver.js';
