// @rediclaim/core: the shared kernel. Schemas, contracts and pure policies; no I/O.
// What every service agrees on is listed here; core/CONTRACTS.md maps it.

// Errors with stable codes, and zod's problems said for people.
export { ErrorCode, RediclaimError, isRediclaimError } from './errors.js';
export {
  check,
  describeProblems,
  parseOrThrow,
  problemsOf,
  type ParseResult,
  type Problem,
} from './validation.js';
export { messageKeyOf, requestIdOf, ticketSchema, userIdSchema } from './identity.js';

// The CouponEvent: spec, status, the resource, its schedule, the CRD made from it.
export {
  AdmissionMode,
  DiscountType,
  EVENT_ID_PATTERN,
  admissionSchema,
  codeFormatSchema,
  couponEventSpecSchema,
  couponSchema,
  discountSchema,
  eventIdSchema,
  issuerScalingSchema,
  PROOF_OF_WORK_DEFAULTS,
  powSpikeSchema,
  proofOfWorkSchema,
  scheduleSchema,
  validitySchema,
  type Admission,
  type CodeFormat,
  type Coupon,
  type CouponEventSpec,
  type CouponEventSpecInput,
  type Discount,
  type IssuerScaling,
  type ProofOfWork,
  type Schedule,
  type Validity,
} from './couponevent/spec.js';
export {
  ConditionType,
  Phase,
  admissionStatusSchema,
  conditionSchema,
  countsSchema,
  couponEventStatusSchema,
  phases,
  type AdmissionStatus,
  type Condition,
  type Counts,
  type CouponEventStatus,
} from './couponevent/status.js';
export { CouponEventApi, type CouponEvent, type ObjectMeta } from './couponevent/resource.js';
export {
  acceptsJoins,
  eventPhase,
  nextScheduleChange,
  schedulePhase,
  type SchedulePhase,
} from './couponevent/phase.js';
export { couponEventCrd, renderCouponEventCrdYaml } from './couponevent/crd.js';

// The gate's config, and service settings from the environment.
export {
  EVENTS_CONFIG_KEY,
  EVENTS_CONFIG_KIND,
  MAX_EVENTS_PER_CONFIG,
  assembleEventsConfig,
  eventConfigFromCouponEvent,
  eventConfigSchema,
  eventIdOf,
  eventsConfigSchema,
  parseEventsConfig,
  renderEventEntry,
  renderEventsConfig,
  tenantSchema,
  type EventConfig,
  type EventConfigInput,
  type EventsConfig,
} from './config/events-config.js';
export { EventsConfigReader } from './config/events-config-reader.js';
export {
  CONFIG_SHARD_MAX_BYTES,
  DEFAULT_CONFIG_SHARDS,
  MAX_CONFIG_SHARDS,
  configShardName,
  configShardNames,
  configShardOf,
  configShardsSchema,
} from './config/shards.js';
export { env, loadEnvConfig } from './config/env.js';
export {
  settingFiles,
  type PemCertificates,
  type PemPrivateKey,
  type ReadTextFile,
} from './config/setting-files.js';
export {
  endpointName,
  hostListSchema,
  parseHostList,
  sameEndpoint,
  type Endpoint,
  type HostListRules,
} from './config/host-list.js';

// HTTP: the status of each error code, and validation errors in words.
export { describeValidation, httpStatusOf, type AjvError } from './http-errors.js';
export { errorJsonSchema, jsonSchemaOf, openApiComponentName } from './json-schema.js';

// Kafka: topics, messages, their codec, and the client configuration.
export { DEFAULT_COUPONS_TOPIC, DefaultTopics, type Topics } from './messages/topics.js';
export {
  couponIdOf,
  couponIssuedSchema,
  couponLifecycleEventSchema,
  couponLifecycleTypes,
  couponLifecycleVersions,
  couponRedeemedSchema,
  couponRefSchema,
  couponReleasedSchema,
  lifecycleEventIdOf,
  redemptionIdOf,
  redemptionNumberOf,
  redemptionRefSchema,
  type CouponIssued,
  type CouponLifecycleEvent,
  type CouponLifecycleType,
  type CouponRedeemed,
  type CouponRef,
  type CouponReleased,
  type RedemptionRef,
} from './messages/coupon-lifecycle.js';
export {
  IssueOutcome,
  RejectReason,
  UserStatus,
  isFinalStatus,
  issueOutcomes,
} from './messages/outcome.js';
export {
  issuePolicySchema,
  issueRequestBatchHeaderSchema,
  issueRequestItemSchema,
  issueRequestSchema,
  requestOfItem,
  type IssuePolicy,
  type IssueRequest,
  type IssueRequestBatchHeader,
  type IssueRequestItem,
} from './messages/issue-request.js';
export {
  issueResultBatchHeaderSchema,
  issueResultItemSchema,
  issueResultSchema,
  issuedCouponSchema,
  resultBatchHeaderOf,
  resultItemOf,
  resultOfItem,
  type IssueResult,
  type IssueResultBatchHeader,
  type IssueResultItem,
  type IssuedCoupon,
} from './messages/issue-result.js';
export {
  DEFAULT_BATCH_LIMITS,
  decodeBatchRecord,
  encodeBatchRecords,
  singleItemRecord,
  type BatchItem,
  type BatchLimits,
  type DecodedBatch,
} from './messages/batch-record.js';
export {
  decodeIssueRequestBatch,
  decodeIssueRequests,
  decodeIssueResults,
  encodeIssueRequestV1,
  encodeIssueRequests,
  encodeIssueResultV1,
  encodeIssueResults,
  requestIdMismatch,
  type DeadItem,
  type DecodedRecord,
  type OutgoingRecord,
} from './messages/issue-records.js';
export { deadLetterSchema, type DeadLetter } from './messages/dead-letter.js';
export {
  checkVersion,
  deadLetterOf,
  decodeMessage,
  encodeMessage,
  parseRecord,
  validated,
  versionOf,
  type MessageSource,
} from './messages/codec.js';
export {
  SIGNATURE_HEADER,
  checkTrusted,
  signRecord,
  signRecords,
  signatureModeSchema,
  signingKeysSchema,
  verifyRecord,
  type HeaderValue,
  type RecordTrust,
  type SigningKey,
} from './messages/record-signature.js';
export {
  TRACEPARENT_HEADER,
  childTrace,
  formatTraceparent,
  newTrace,
  parseTraceparent,
  traceOfRecord,
  type RandomBytes,
  type TraceContext,
} from './messages/trace-context.js';
export {
  KafkaSecurityError,
  describeKafkaSecurity,
  kafkaSecurity,
  kafkaSecurityIssues,
  kafkaSecuritySettings,
  refineKafkaSecurity,
  type KafkaSecurity,
  type KafkaSecuritySettings,
  type SettingsIssue,
} from './messages/kafka-security.js';
export {
  createMissingTopics,
  describeKafkaTopics,
  kafkaTopicIssues,
  kafkaTopicSettings,
  newTopic,
  refineKafkaTopics,
  type KafkaTopicSettings,
  type NewTopic,
  type TopicAdmin,
} from './messages/kafka-topic-settings.js';
export {
  kafkaClientConfig,
  kafkaLogLevel,
  type KafkaClientOptions,
  type LevelLogger,
} from './messages/kafka-client.js';

// Redis keys, the gate admin API, and the log format.
export {
  EVENT_TENANTS_KEY,
  KEY_PREFIX,
  eventHashTag,
  eventKeys,
  powSolutionKey,
  retiredResultsKey,
  type EventKeys,
} from './redis/keys.js';
export {
  GATE_ADMIN_PREFIX,
  emptyEventStats,
  eventStatsReadSchema,
  eventStatsSchema,
  gateAdminEventPath,
  gateAdminStatsPath,
  type EventStats,
  type EventStatsRead,
} from './contracts/gate-admin.js';
export { logOptions, type LogOptions } from './logging.js';
export { logProcessEvents, type ProcessEvents, type ProcessLogger } from './process-log.js';

// Policies: codes, validity, discounts, the issuance decision, scaling, backoff.
export { CODE_ALPHABET, couponCode, couponCodes } from './policy/coupon-code.js';
export { couponValidity, isUsableAt, type ValidityWindow } from './policy/validity.js';
export { describeDiscount, discountFor } from './policy/discount.js';
export {
  decideIssuance,
  type BatchDecision,
  type Decision,
  type IssuanceLedger,
  type PendingRequest,
  type PriorDecision,
} from './policy/issuance.js';
export { desiredIssuerReplicas, type ReplicaBounds } from './policy/scaling.js';
export { backoffDelay, sleep, type BackoffPolicy } from './policy/backoff.js';
export { powDifficulty, powReplayTtlMs, powSpikeArgs } from './policy/proof-of-work.js';
