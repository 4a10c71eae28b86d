// @rediclaim/issuer: exactly-once coupon issuance from Kafka into MySQL/MariaDB.
// main.ts runs it; these are what tests and tools use.

// The whole issuer, its admin endpoints, settings, metrics and logs.
export { Issuer, type IssuerOptions } from './service.js';
export { buildApp, type AdminAppOptions, type ReadinessReport } from './http/app.js';
export { buildRedemptionApp, type RedemptionApiOptions } from './http/redemption-api.js';
export { ApiKeys, apiKeysSchema, type ApiKey } from './http/api-keys.js';

// Redemption: validate, redeem once, release; the rules apart from any SQL.
export {
  Redemptions,
  type RedeemOutcome,
  type RedemptionHooks,
  type ReleaseOutcome,
  type ValidateRequest,
  type Validation,
} from './redemption/redemptions.js';
export {
  judgeRedemption,
  type CouponFacts,
  type Judgement,
  type OrderFacts,
} from './redemption/judge.js';
export { requestHashOf, type RedeemRequest } from './redemption/request-hash.js';
export type { CouponView, RedemptionView } from './redemption/views.js';
export { loadSettings, redactUrl, settingsSchema, type IssuerSettings } from './settings.js';
export { IssuerMetrics } from './metrics.js';
export { createLogger } from './logger.js';
export { DecisionReporter } from './decision-reporter.js';
export { OutageReporter } from './outage-reporter.js';
export { errorCode } from './error-code.js';

// The database: the pool, the schema, and the deciding transaction.
export {
  createDataSource,
  dataSourceOptions,
  detectDialect,
  type DatabaseOptions,
  type Dialect,
} from './db/data-source.js';
export { migrate } from './db/migrate.js';
export { openDatabase } from './db/open.js';
export { MYSQL_TLS_MODES, sslOptions, type MysqlTls, type MysqlTlsMode } from './db/tls.js';
export {
  describeMysqlTls,
  mysqlTlsIssues,
  mysqlTlsOf,
  mysqlTlsSettings,
} from './db/tls-settings.js';
export { migrations } from './db/migrations/index.js';
export {
  CouponEventRow,
  EventRevisionRow,
  IssueDecisionRow,
  IssuedCouponRow,
  RevisionOutcome,
  entities,
} from './db/entities/index.js';
export { decideEvent, type EventDecision } from './db/decide-event.js';
export { Availability, describeOutage, type Outage, type Transition } from './db/availability.js';
export {
  DatabaseMonitor,
  type DatabaseMonitorOptions,
  type MonitorHooks,
} from './db/database-monitor.js';
export { pingDatabase } from './db/ping.js';
export { whileUp } from './db/while-up.js';
// Failover: which of MYSQL_HOSTS is the primary, and every connection sent there.
export {
  endpointName,
  endpointOfUrl,
  parseMysqlHosts,
  sameEndpoint,
  type Endpoint,
} from './db/mysql-hosts.js';
export {
  choosePrimary,
  NoPrimaryError,
  SeveralPrimariesError,
  type Answer,
} from './db/primary-choice.js';
export {
  PrimaryFinder,
  PrimaryMovedError,
  type PrimaryFinderOptions,
  type StreamFactory,
} from './db/primary-finder.js';
export { takesWrites, type ProbeOptions } from './db/writable-probe.js';
export { followPrimary } from './db/follow-primary.js';

// The decisions, apart from any SQL.
export {
  distinctRequests,
  eventKeyOf,
  groupByEvent,
  type EventGroup,
  type EventKey,
} from './decisions/grouping.js';
export {
  judgeRevisions,
  newestPolicy,
  policiesByGeneration,
  type AppliedState,
  type Revision,
  type RevisionJudgement,
} from './decisions/revisions.js';
export {
  planBatch,
  type NewCoupon,
  type NewDecision,
  type Plan,
  type PlanInput,
  type StoredCoupon,
  type StoredDecision,
} from './decisions/plan.js';
export {
  AbandonedError,
  EventLanes,
  type DecideFn,
  type LaneDecision,
  type LaneHooks,
} from './decisions/lanes.js';

// The outbox: its rows, the events built from them, and the relay that publishes them.
export {
  eventOutboxInsert,
  issuedOutboxInsert,
  issuedRangesSchema,
  serialRanges,
  type IssuedRanges,
  type StoredLifecycleEvent,
} from './outbox/outbox-rows.js';
export {
  couponIssuedOf,
  issuedCouponsQuery,
  issuedEventsOf,
  missingCoupons,
  serialCount,
  type IssuedCouponRecord,
} from './outbox/issued-events.js';
export { storedEventOf } from './outbox/stored-events.js';
export {
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  EVENT_VERSION_HEADER,
  recordOf,
  sendsOf,
} from './outbox/records.js';
export { INVALID_KIND, type OutboxRow } from './outbox/outbox-store.js';
export { RelaySession, relayLockName } from './outbox/relay-session.js';
export { OutboxRelay, type OutboxRelayOptions } from './outbox/relay.js';

// Kafka: decoding requests, placing results, committing offsets in order.
export {
  decodeIssueRequest,
  decodeRecord,
  type DecodedRecord,
  type RawMessage,
  type RequestTrust,
} from './kafka/decode.js';
export { keyPartitioner, murmur2 } from './kafka/partitioner.js';
export { FetchPause } from './kafka/fetch-pause.js';
export { SignalFanOut } from './kafka/signal-fan-out.js';
export {
  OffsetTracker,
  type OffsetTrackerOptions,
  type TrackedBatch,
} from './kafka/offset-tracker.js';
