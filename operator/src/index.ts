// @rediclaim/operator: reconciles CouponEvents into the gate ConfigMap, the issuer's
// scale, Kafka partitions, and status. `main.ts` runs it; this is what tooling and tests
// outside the package use: the operator to run in-process, its admin app and settings.
export { buildApp, type AppOptions, type Health } from './app.js';
export { CONTROLLER_NAME } from './clients.js';
export { createLogger } from './logger.js';
export { createMetrics, type Metrics } from './metrics.js';
export { Operator, type OperatorOptions } from './operator.js';
export { loadSettings, settingsSchema, type Settings } from './settings.js';
