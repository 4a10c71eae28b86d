// @rediclaim/gate: the waiting room. main.ts runs it; these are what tests and tools
// (the benchmark) use.

// The whole gate, its HTTP apps and its settings.
export { Gate, type GateOptions } from './gate.js';
export { buildAdminApp, buildApp, type AppDeps, type AppOptions, type DrainState } from './app.js';
export { gateSettingsSchema, loadGateSettings, type GateSettings } from './settings.js';
export { GateMetrics, UNKNOWN_EVENT, SHED_CAUSES, type EventLabels } from './metrics.js';

// Where the events come from.
export { LiveEvent } from './config/live-event.js';
export { EventsStore, type ConfigChange } from './config/events-store.js';
export { FileConfigSource } from './config/file-source.js';
export {
  ConfigMapConfigSource,
  type ConfigMapRef,
  type ConfigMapSourceOptions,
} from './config/configmap-source.js';
export type { ConfigSource, ConfigSourceDeps } from './config/source.js';

// Proof of work on join.
export { PowGuard, POW_RESULTS, type PowChallenge, type PowResult } from './pow/pow-guard.js';
export { PowDifficulty } from './pow/difficulty.js';
export { POW_HEADER, parseSolutionHeader } from './pow/solution-header.js';

// The queue, and how shoppers' standings read.
export { WaitingRoom } from './queue/waiting-room.js';
export { waitingView } from './queue/status-views.js';
export { eventStatsOf } from './queue/event-stats.js';
export {
  redemptionField,
  redemptionFieldsOf,
  redemptionStateOf,
  redemptionViewOf,
  withRedemptions,
} from './queue/redemptions.js';
export {
  DEFAULT_TICKET_TTL_SECONDS,
  TicketSigner,
  preQueueTicket,
  type TicketClaims,
  type TicketSignerOptions,
  type VerifiedTicket,
} from './queue/tickets.js';
export {
  ClosedReason,
  type EventInfo,
  type EventStats,
  type JoinAnswer,
  type JoinResult,
  type RedemptionView,
  type StatusView,
  type StoredResult,
} from './queue/views.js';

// Admission, and the Kafka plumbing under it.
export { Dispatcher, type DispatcherDeps, type DispatcherOptions } from './admission/dispatcher.js';
export { createKafka } from './kafka/client.js';
export { IssueRequestSender } from './kafka/issue-requests.js';
export { ResultsConsumer, type ResultsConsumerOptions } from './kafka/results-consumer.js';
export { logRecordedResults, resultRecordSpan, type ResultRecordSpan } from './kafka/result-log.js';
export { CouponsConsumer, type CouponsConsumerOptions } from './kafka/coupons-consumer.js';
export { GroupConsumer, type GroupConsumerOptions } from './kafka/group-consumer.js';
export { fixKafkajsIdleLoop } from './kafka/kafkajs-idle-fix.js';

// Every Lua script call.
export {
  GateScripts,
  scriptKeys,
  type AdmitArgs,
  type Backpressure,
  type AdmittedShopper,
  type ApplyCouponEventArgs,
  type EnqueueArgs,
  type RetireArgs,
  type RecordResultArgs,
  type ScriptName,
  type StatusArgs,
} from './redis/gate-scripts.js';
export type {
  AdmitReply,
  ApplyCouponEventReply,
  EnqueueReply,
  RecordResultReply,
  RequeueStaleReply,
  StaleReply,
  StatsReply,
  StatusReply,
} from './redis/script-replies.js';
export { LUA_DIR, documentedKeys, scriptSource } from './redis/lua-source.js';

// HTTP pieces with tests of their own.
export {
  DEFAULT_JWT_CLOCK_SKEW_SECONDS,
  Identity,
  JwtConfigError,
  jwtAlgorithmsFor,
  type IdentityMode,
  type IdentityOptions,
} from './http/identity.js';
export { LatencyHistogram } from './http/latency-histogram.js';
export { TICKET_SCHEME, shopperSecuritySchemes } from './http/openapi-security.js';
export { PushHub, PushFullError, type PushHubOptions, type PushSink } from './push/push-hub.js';
export { ChangePublisher } from './push/change-publisher.js';
export {
  LocalStreamSlots,
  RedisStreamSlots,
  type ClientStreamSlots,
  type StreamSlot,
} from './push/client-stream-slots.js';
export { decodeChangeNotice, encodeChangeNotice, type ChangeNotice } from './push/change-notice.js';
export {
  endsStream,
  isMilestone,
  movedOn,
  stateIdOf,
  type StreamedStatus,
} from './push/stream-state.js';
export { SSE_HEARTBEAT, sseFrame, sseRetry } from './push/sse.js';
