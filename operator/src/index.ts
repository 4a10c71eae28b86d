// @rediclaim/operator: reconciles CouponEvents into the gate ConfigMap, the issuer's
// scale, Kafka partitions, and status. Exported for tests and tooling; `main.ts` runs it.
export * from './acceptance.js';
export * from './app.js';
export { backoffDelay, sleep, type BackoffPolicy } from '@rediclaim/core';
export * from './conditions.js';
export * from './config-map.js';
export * from './events.js';
export * from './gate-client.js';
export * from './informer.js';
export * from './issuer-scale.js';
export * from './kafka-partitions.js';
export * from './kube/couponevents.js';
export * from './kube/errors.js';
export * from './kube/time.js';
export * from './leader-election.js';
export * from './logger.js';
export * from './metrics.js';
export * from './operator.js';
export * from './settings.js';
export * from './state.js';
export * from './status.js';
export * from './work-queue.js';
