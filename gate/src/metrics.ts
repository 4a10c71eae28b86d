import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LatencyHistogram } from './http/latency-histogram.js';

/**
 * The gate's Prometheus metrics, on a registry of its own (tests run several gates in
 * one process). Names are prefixed rediclaim_gate_. Per-event series are labelled
 * event="<tenant>/<eventId>".
 */
export class GateMetrics {
  readonly registry = new Registry();

  readonly httpDuration = new LatencyHistogram(
    'rediclaim_gate_http_request_duration_seconds',
    'Time to answer an HTTP request, by route and status code.',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    this.registry,
  );

  /** Joins by answer, counted on the request path without label hashing; read at scrape. */
  private readonly joinCounts = new Map<string, number>();

  readonly joins = new Counter({
    name: 'rediclaim_gate_joins_total',
    help: 'Enqueue requests by answer (ENQUEUED, ALREADY_ENQUEUED, PROCESSING, SOLD_OUT, QUEUE_FULL, ...).',
    labelNames: ['answer'] as const,
    registers: [this.registry],
    collect: () => {
      this.joins.reset();
      for (const [answer, n] of this.joinCounts) this.joins.inc({ answer }, n);
    },
  });

  countJoin(answer: string): void {
    this.joinCounts.set(answer, (this.joinCounts.get(answer) ?? 0) + 1);
  }

  readonly queueLength = new Gauge({
    name: 'rediclaim_gate_queue_length',
    help: 'Shoppers waiting in the queue, as the last dispatch saw it.',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly inflight = new Gauge({
    name: 'rediclaim_gate_processing',
    help: 'Shoppers admitted and waiting for the issuer, as the last dispatch saw it.',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly admitted = new Counter({
    name: 'rediclaim_gate_admitted_total',
    help: 'Shoppers this replica admitted and sent to the issuer.',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });

  readonly requeued = new Counter({
    name: 'rediclaim_gate_requeued_total',
    help: 'Admitted shoppers whose request is sent again, ahead of the queue (timeout: no result in time; send_failed: Kafka refused the request).',
    labelNames: ['event', 'reason'] as const,
    registers: [this.registry],
  });

  readonly results = new Counter({
    name: 'rediclaim_gate_results_total',
    help: 'Issuer results recorded, by outcome (duplicates and results of deleted events excluded).',
    labelNames: ['outcome'] as const,
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
    help: '1 while this replica admits nobody new, by cause (kafka_unavailable); shoppers keep their place.',
    labelNames: ['cause'] as const,
    registers: [this.registry],
  });

  readonly shed = new Counter({
    name: 'rediclaim_gate_shed_total',
    help: 'Requests refused with 503 because the gate was overloaded, by cause.',
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

  constructor(options: { defaultMetrics?: boolean } = {}) {
    // Node's metrics under their standard names (process_*, nodejs_*): stock dashboards
    // and alerts find them; the job and instance labels tell the services apart.
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }
}
