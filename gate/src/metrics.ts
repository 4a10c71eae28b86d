import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Phase, issueOutcomes } from '@rediclaim/core';
import type { LiveEvent } from './config/live-event.js';
import { LatencyHistogram } from './http/latency-histogram.js';
import { POW_RESULTS, type PowMetrics, type PowResult } from './pow/pow-guard.js';

/** The labels of an event's series, as the issuer's: its tenant, and its id alone. */
export interface EventLabels {
  tenant: string;
  event: string;
}

/**
 * The labels joins and results of an event the applied config does not have count
 * under: the tenant and id of such a request are the caller's to choose, and a series
 * for each would let anyone grow the registry without bound.
 */
export const UNKNOWN_EVENT: Readonly<EventLabels> = { tenant: '', event: '' };

/** What @fastify/under-pressure sheds for, as the gate configures it (shed_total's cause). */
export const SHED_CAUSES = ['eventLoopDelay', 'heapUsedBytes', 'rssBytes'] as const;
/** The gate's per-client rate limits (rate_limited_total's route). */
export type RateLimitedRoute = 'join' | 'poll' | 'stream';
const RESULTS_IGNORED_REASONS = ['duplicate', 'deleted', 'invalid'] as const;
export type RequeueReason = 'timeout' | 'send_failed';
const REQUEUE_REASONS: readonly RequeueReason[] = ['timeout', 'send_failed'];
/** Why a push stream read a shopper's status (push_reads_total's trigger). */
export type PushReadTrigger = 'open' | 'notice' | 'resync' | 'phase' | 'reconnect';
const PUSH_READ_TRIGGERS: readonly PushReadTrigger[] = [
  'open',
  'notice',
  'resync',
  'phase',
  'reconnect',
];
const PUSH_FRAME_KINDS = ['status', 'progress', 'heartbeat', 'end'] as const;
const PUSH_REFUSALS = ['limit', 'slow_reader'] as const;
const PUSH_NOTICE_OUTCOMES = ['published', 'publish_failed', 'received', 'invalid'] as const;

/** What one dispatch read of an event's queue (the admit script's reply). */
export interface DispatchView {
  waiting: number;
  processing: number;
  oldestAgeMs: number;
  /** The share of the configured rate backpressure allows. */
  allowed: number;
  overdue: number;
}

const keyOf = (tenant: string, eventId: string) => `${tenant}\n${eventId}`;

/**
 * The gate's Prometheus metrics, on a registry of its own (tests run several gates in
 * one process). Names are prefixed rediclaim_gate_. Per-event series are labelled
 * tenant and event (the event id), like the issuer's, and exist only for the events of
 * the applied config: applyConfig() removes every series of an event that left it, and
 * the helpers below count nothing under the labels of an event it does not have.
 */
export class GateMetrics implements PowMetrics {
  readonly registry = new Registry();
  /** The events of the applied config, by tenant and id. */
  private configured = new Map<string, LiveEvent>();
  private readonly clock: () => number;

  readonly httpDuration = new LatencyHistogram(
    'rediclaim_gate_http_request_duration_seconds',
    'Time to answer an HTTP request, by route and status code.',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    this.registry,
  );

  /**
   * Joins by event and answer, counted on the request path without label hashing (two
   * map lookups); read at scrape.
   */
  private readonly joinCounts = new Map<
    string,
    { labels: EventLabels; answers: Map<string, number> }
  >();

  readonly joins = new Counter({
    name: 'rediclaim_gate_joins_total',
    help: 'Enqueue requests by event and answer (ENQUEUED, ALREADY_ENQUEUED, PROCESSING, SOLD_OUT, QUEUE_FULL, ...); joins of events the config does not have count under tenant="", event="".',
    labelNames: ['tenant', 'event', 'answer'] as const,
    registers: [this.registry],
    collect: () => {
      this.joins.reset();
      for (const { labels, answers } of this.joinCounts.values())
        for (const [answer, n] of answers) this.joins.inc({ ...labels, answer }, n);
    },
  });

  readonly powChallenges = new Counter({
    name: 'rediclaim_gate_pow_challenges_total',
    help: 'Proof-of-work challenges issued, by event (events with spec.admission.proofOfWork.enabled).',
    labelNames: ['tenant', 'event'] as const,
    registers: [this.registry],
  });

  readonly powSolutions = new Counter({
    name: 'rediclaim_gate_pow_solutions_total',
    help: 'Joins of proof-of-work events by what their solution came to: accepted, missing (428), malformed (400), expired, invalid, other_event (403 POW_INVALID), replayed (403 POW_REPLAYED).',
    labelNames: ['tenant', 'event', 'result'] as const,
    registers: [this.registry],
  });

  readonly powDifficulty = this.eventGauge(
    'rediclaim_gate_pow_difficulty',
    'The difficulty (maxnumber) of the last proof-of-work challenge this replica issued for the event: spec.admission.proofOfWork.difficulty, or spike.difficulty during a join spike.',
  );

  readonly queueLength = this.eventGauge(
    'rediclaim_gate_queue_length',
    'Shoppers waiting in the queue who can still be admitted, as the last dispatch saw it.',
  );

  readonly inflight = this.eventGauge(
    'rediclaim_gate_processing',
    'Shoppers admitted and waiting for the issuer, as the last dispatch saw it.',
  );

  readonly processingOldest = this.eventGauge(
    'rediclaim_gate_processing_oldest_seconds',
    'How long ago the oldest shopper still PROCESSING (admitted, no result yet) was admitted, re-sends included, as the last dispatch saw it; 0 when none.',
  );

  readonly admitted = new Counter({
    name: 'rediclaim_gate_admitted_total',
    help: 'Shoppers this replica admitted and sent to the issuer (0 from the moment the event is configured).',
    labelNames: ['tenant', 'event'] as const,
    registers: [this.registry],
  });

  readonly requeued = new Counter({
    name: 'rediclaim_gate_requeued_total',
    help: 'Admitted shoppers whose request is sent again, ahead of the queue (timeout: no result in time; send_failed: Kafka refused the request).',
    labelNames: ['tenant', 'event', 'reason'] as const,
    registers: [this.registry],
  });

  readonly results = new Counter({
    name: 'rediclaim_gate_results_total',
    help: 'Issuer results recorded, by event and outcome (duplicates and results of deleted events excluded; events the config does not have count under tenant="", event="").',
    labelNames: ['tenant', 'event', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly admissionRateLimit = this.eventGauge(
    'rediclaim_gate_admission_rate_limit',
    "The event's configured admission rate (dispatchPerSecond), shoppers per second, fleet-wide.",
  );

  readonly admissionAllowedRate = this.eventGauge(
    'rediclaim_gate_admission_allowed_rate',
    'The admission rate backpressure allows now, shoppers per second, fleet-wide: the configured rate while issuance keeps up, less while admitted shoppers are overdue; as the last dispatch saw it.',
  );

  readonly admissionOverdue = this.eventGauge(
    'rediclaim_gate_admission_overdue',
    'Admitted shoppers still without a result after ADMISSION_OVERDUE_MS, as the last dispatch saw it: more than a few slow admission down.',
  );

  readonly admissionSlowdowns = new Counter({
    name: 'rediclaim_gate_admission_slowdowns_total',
    help: 'Times this replica cut the fleet-wide admission allowance because issuance fell behind.',
    labelNames: ['tenant', 'event'] as const,
    registers: [this.registry],
  });

  readonly eventStock = this.eventGauge(
    'rediclaim_gate_event_stock',
    "The event's configured stock.",
  );

  readonly eventOpen = new Gauge({
    name: 'rediclaim_gate_event_open',
    help: 'The schedule lets the gate admit for the event now (Open: opened, not closed, mode fifo): 1, else 0. Sold out does not count here.',
    labelNames: ['tenant', 'event'] as const,
    registers: [this.registry],
    collect: () => {
      const now = this.clock();
      for (const event of this.configured.values())
        this.eventOpen.set(
          { tenant: event.tenant, event: event.id },
          event.phase(now) === Phase.Open ? 1 : 0,
        );
    },
  });

  readonly rateLimited = new Counter({
    name: 'rediclaim_gate_rate_limited_total',
    help: "Requests refused with 429 by the gate's per-client limits, by limit (route: join, poll, stream: open push streams).",
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  readonly resultsIgnored = new Counter({
    name: 'rediclaim_gate_results_ignored_total',
    help: 'Issuer results not recorded: duplicate (already recorded), deleted (event deleted), invalid (sent to the dead-letter topic).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly resultLag = new Histogram({
    name: 'rediclaim_gate_result_lag_seconds',
    help: 'From the issuer deciding a request to the gate recording its result.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly couponEvents = new Counter({
    name: 'rediclaim_gate_coupon_events_total',
    help: "The issuer's coupon lifecycle events read, by type and result: applied (the coupon's redemption state changed), former (changed for a sale retired or deleted: not counted), duplicate (already applied, or older than the state applied), ignored (CouponIssued: nothing to apply).",
    labelNames: ['type', 'result'] as const,
    registers: [this.registry],
  });

  readonly couponEventsInvalid = new Counter({
    name: 'rediclaim_gate_coupon_events_invalid_total',
    help: 'Records of the coupons topic that could not be read (not JSON, not a lifecycle event, a newer version), sent to the dead-letter topic.',
    registers: [this.registry],
  });

  readonly couponEventLag = new Histogram({
    name: 'rediclaim_gate_coupon_event_lag_seconds',
    help: 'From a redemption or release happening at the issuer to the gate applying it.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  readonly couponsConsumerUp = new Gauge({
    name: 'rediclaim_gate_coupons_consumer_up',
    help: "1 while the coupons consumer is in its group; 0 while it (re)joins, or when it does not run (GATE_COUPONS_ENABLED=false). Coupons' redemption states wait in Kafka meanwhile.",
    registers: [this.registry],
  });

  readonly admitDuration = new Histogram({
    name: 'rediclaim_gate_admit_duration_seconds',
    help: 'One dispatch step for one event: the admit script, then the Kafka send.',
    labelNames: ['step'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly sendFailures = new Counter({
    name: 'rediclaim_gate_kafka_send_failures_total',
    help: 'Batches of issue requests Kafka refused (their shoppers are sent again).',
    registers: [this.registry],
  });

  readonly kafkaUp = new Gauge({
    name: 'rediclaim_gate_kafka_up',
    help: '1 while Kafka answers this replica (its last probe or send succeeded); 0 while it is unreachable or not connected yet.',
    registers: [this.registry],
  });

  readonly resultsConsumerUp = new Gauge({
    name: 'rediclaim_gate_results_consumer_up',
    help: '1 while the results consumer is in its group; 0 while it (re)joins, e.g. for up to KAFKA_SESSION_TIMEOUT_MS after Kafka comes back.',
    registers: [this.registry],
  });

  readonly admissionPaused = new Gauge({
    name: 'rediclaim_gate_admission_paused',
    help: '1 while this replica admits nobody new, by cause (kafka_unavailable); shoppers keep their place. 0 from the start.',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });

  readonly shed = new Counter({
    name: 'rediclaim_gate_shed_total',
    help: 'Requests refused with 503 because the gate was overloaded, by cause (eventLoopDelay, heapUsedBytes, rssBytes; each from 0).',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });

  readonly configEvents = new Gauge({
    name: 'rediclaim_gate_config_events',
    help: 'Events in the applied config.',
    registers: [this.registry],
  });

  readonly configApplied = new Gauge({
    name: 'rediclaim_gate_config_last_applied_timestamp_seconds',
    help: 'When a valid events config was last applied.',
    registers: [this.registry],
  });

  readonly configErrors = new Counter({
    name: 'rediclaim_gate_config_errors_total',
    help: 'Events configs refused as invalid (the last good config stays).',
    registers: [this.registry],
  });

  private pushStreamCount: () => number = () => 0;

  readonly pushStreams = new Gauge({
    name: 'rediclaim_gate_push_streams',
    help: 'Push streams (server-sent events) this replica holds open.',
    registers: [this.registry],
    collect: () => {
      this.pushStreams.set(this.pushStreamCount());
    },
  });

  readonly pushFrames = new Counter({
    name: 'rediclaim_gate_push_frames_total',
    help: 'What push streams were sent, by kind: status (a state read), progress (a place moved up between reads), heartbeat, end.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly pushRefused = new Counter({
    name: 'rediclaim_gate_push_refused_total',
    help: 'Push streams refused or cut off, by reason: limit (GATE_PUSH_MAX_STREAMS reached: 503, the shopper polls), slow_reader (a peer that stopped reading).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly redisUnreplicated = new Counter({
    name: 'rediclaim_gate_redis_unreplicated_writes_total',
    help: 'Redis Cluster: writes (joins, recorded results, coupon events) no replica confirmed within REDIS_CLUSTER_REPLICA_WAIT_MS; a failover now may lose them.',
    registers: [this.registry],
  });
  readonly pushNotices = new Counter({
    name: 'rediclaim_gate_push_notices_total',
    help: "Change notices on the events' Redis channels: published (or publish_failed) by this replica, received for its streams, invalid (not understood, ignored).",
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly pushReads = new Counter({
    name: 'rediclaim_gate_push_reads_total',
    help: "Status reads for push streams, by trigger: open, notice (a change named the shopper or everyone), resync (the periodic read), phase (the event's schedule moved), reconnect (the subscriber reconnected).",
    labelNames: ['trigger'] as const,
    registers: [this.registry],
  });

  readonly pushReadFailures = new Counter({
    name: 'rediclaim_gate_push_read_failures_total',
    help: 'Status reads for push streams that failed (Redis away); the stream is read again later.',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean; clock?: () => number } = {}) {
    this.clock = options.clock ?? Date.now;
    // Node's metrics under their standard names (process_*, nodejs_*): stock dashboards
    // and alerts find them; the job and instance labels tell the services apart.
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    // Counters whose label values are known start at 0: rate() and increase() see their
    // first increment, and an alert can tell "none" from "not scraped".
    for (const cause of SHED_CAUSES) this.shed.inc({ cause }, 0);
    for (const reason of RESULTS_IGNORED_REASONS) this.resultsIgnored.inc({ reason }, 0);
    this.admissionPaused.set({ cause: 'kafka_unavailable' }, 0);
    for (const trigger of PUSH_READ_TRIGGERS) this.pushReads.inc({ trigger }, 0);
    for (const kind of PUSH_FRAME_KINDS) this.pushFrames.inc({ kind }, 0);
    for (const reason of PUSH_REFUSALS) this.pushRefused.inc({ reason }, 0);
    for (const outcome of PUSH_NOTICE_OUTCOMES) this.pushNotices.inc({ outcome }, 0);
  }

  /** Where the push_streams gauge reads its value (the PushHub). */
  pushStreamsOf(count: () => number): void {
    this.pushStreamCount = count;
  }

  /**
   * Follows the applied config: each event's configured gauges, its admitted and
   * requeued counters from 0, and every series of an event that left it (or moved tenant) removed, so
   * dashboards show no ghosts and the registry stays as large as the config.
   */
  applyConfig(events: Iterable<LiveEvent>): void {
    const next = new Map<string, LiveEvent>();
    for (const event of events) {
      const labels = { tenant: event.tenant, event: event.id };
      next.set(keyOf(event.tenant, event.id), event);
      this.admissionRateLimit.set(labels, event.rate);
      // Until the first dispatch says otherwise: nothing overdue, the whole rate.
      if (!this.configured.has(keyOf(event.tenant, event.id))) {
        this.admissionAllowedRate.set(labels, event.rate);
        this.admissionOverdue.set(labels, 0);
      }
      this.admissionSlowdowns.inc(labels, 0);
      this.eventStock.set(labels, event.stock);
      this.admitted.inc(labels, 0);
      for (const reason of REQUEUE_REASONS) this.requeued.inc({ ...labels, reason }, 0);
      const pow = event.config.admission.proofOfWork;
      if (pow.enabled) {
        this.powChallenges.inc(labels, 0);
        for (const result of POW_RESULTS) this.powSolutions.inc({ ...labels, result }, 0);
        if (!this.configured.has(keyOf(event.tenant, event.id)))
          this.powDifficulty.set(labels, pow.difficulty);
      } else this.forgetPow(labels);
    }
    for (const [key, event] of this.configured) if (!next.has(key)) this.forget(key, event);
    this.configured = next;
  }

  private forget(key: string, event: LiveEvent): void {
    const labels = { tenant: event.tenant, event: event.id };
    for (const gauge of [
      this.queueLength,
      this.inflight,
      this.processingOldest,
      this.admissionRateLimit,
      this.admissionAllowedRate,
      this.admissionOverdue,
      this.eventStock,
      this.eventOpen,
    ])
      gauge.remove(labels);
    this.forgetPow(labels);
    this.admitted.remove(labels);
    this.admissionSlowdowns.remove(labels);
    for (const reason of REQUEUE_REASONS) this.requeued.remove({ ...labels, reason });
    for (const outcome of issueOutcomes) this.results.remove({ ...labels, outcome });
    this.joinCounts.delete(key);
  }

  private forgetPow(labels: EventLabels): void {
    this.powChallenges.remove(labels);
    this.powDifficulty.remove(labels);
    for (const result of POW_RESULTS) this.powSolutions.remove({ ...labels, result });
  }

  countPowChallenge(event: LiveEvent, difficulty: number): void {
    if (!this.isConfigured(event)) return;
    const labels = { tenant: event.tenant, event: event.id };
    this.powChallenges.inc(labels);
    this.powDifficulty.set(labels, difficulty);
  }

  countPowSolution(event: LiveEvent, result: PowResult): void {
    if (this.isConfigured(event))
      this.powSolutions.inc({ tenant: event.tenant, event: event.id, result });
  }

  /** The labels an event's joins and results count under: its own while configured. */
  labelsOf(tenant: string, eventId: string): Readonly<EventLabels> {
    return this.configured.has(keyOf(tenant, eventId)) ? { tenant, event: eventId } : UNKNOWN_EVENT;
  }

  /** One join's answer; `event` undefined (or no longer configured): an unknown event's. */
  countJoin(event: { tenant: string; id: string } | undefined, answer: string): void {
    let key = event ? keyOf(event.tenant, event.id) : '';
    if (!this.configured.has(key)) key = '';
    let entry = this.joinCounts.get(key);
    if (!entry) {
      entry = {
        labels: key === '' ? UNKNOWN_EVENT : { tenant: event!.tenant, event: event!.id },
        answers: new Map(),
      };
      this.joinCounts.set(key, entry);
    }
    entry.answers.set(answer, (entry.answers.get(answer) ?? 0) + 1);
  }

  countResult(tenant: string, eventId: string, outcome: string): void {
    this.results.inc({ ...this.labelsOf(tenant, eventId), outcome });
  }

  /** What the last dispatch of a configured event saw (a late one of a removed event: nothing). */
  sawDispatch(event: LiveEvent, view: DispatchView): void {
    if (!this.isConfigured(event)) return;
    const labels = { tenant: event.tenant, event: event.id };
    this.queueLength.set(labels, view.waiting);
    this.inflight.set(labels, view.processing);
    this.processingOldest.set(labels, view.oldestAgeMs / 1000);
    this.admissionAllowedRate.set(labels, event.rate * view.allowed);
    this.admissionOverdue.set(labels, view.overdue);
  }

  countSlowdown(event: LiveEvent): void {
    if (this.isConfigured(event))
      this.admissionSlowdowns.inc({ tenant: event.tenant, event: event.id });
  }

  countAdmitted(event: LiveEvent, count: number): void {
    if (this.isConfigured(event))
      this.admitted.inc({ tenant: event.tenant, event: event.id }, count);
  }

  countRequeued(event: LiveEvent, reason: RequeueReason, count: number): void {
    if (this.isConfigured(event))
      this.requeued.inc({ tenant: event.tenant, event: event.id, reason }, count);
  }

  /** A rate limit in force: its counter starts at 0. */
  limitRoute(route: RateLimitedRoute): void {
    this.rateLimited.inc({ route }, 0);
  }

  countRateLimited(route: RateLimitedRoute): void {
    this.rateLimited.inc({ route });
  }

  /** A gauge with one series per configured event (applyConfig removes the others). */
  private eventGauge(name: string, help: string): Gauge<'tenant' | 'event'> {
    return new Gauge({ name, help, labelNames: ['tenant', 'event'], registers: [this.registry] });
  }

  private isConfigured(event: LiveEvent): boolean {
    return this.configured.has(keyOf(event.tenant, event.id));
  }
}
