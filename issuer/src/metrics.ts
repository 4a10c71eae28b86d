import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ErrorCode } from '@rediclaim/core';

const PREFIX = 'rediclaim_issuer_';

/** Why the issuer sets a message aside (the dead letter's reason code). */
const DEAD_LETTER_REASONS = [
  ErrorCode.InvalidMessage,
  ErrorCode.UnsupportedMessageVersion,
  ErrorCode.InvalidSignature,
];

export interface IssuerMetricsOptions {
  /**
   * An event's series (decisions, coupons issued, remaining, ...) are dropped once it has
   * seen no decision and no redemption for this long: the issuer does not follow the
   * config, so idleness is how it learns an event is over (ISSUER_EVENT_SERIES_TTL_SECONDS).
   */
  eventSeriesTtlMs?: number;
  clock?: () => number;
}

/** Every metric the issuer exports, on a registry of its own (tests run several issuers). */
export class IssuerMetrics {
  readonly registry = new Registry();
  private readonly eventSeriesTtlMs: number;
  private readonly clock: () => number;
  /** Last activity per event (`tenant\0event`), for dropping the series of idle ones. */
  private readonly lastSeen = new Map<string, number>();

  readonly couponsIssued = new Counter({
    name: `${PREFIX}coupons_issued_total`,
    help: 'Coupons issued (committed), by event.',
    labelNames: ['tenant', 'event'] as const,
    registers: [this.registry],
  });

  readonly decisions = new Counter({
    name: `${PREFIX}decisions_total`,
    help: 'Requests decided for the first time, by outcome (ISSUED, SOLD_OUT, ALREADY_ISSUED, REJECTED).',
    labelNames: ['tenant', 'event', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly soldOut = new Counter({
    name: `${PREFIX}sold_out_total`,
    help: 'Requests answered SOLD_OUT for the first time, by event.',
    labelNames: ['tenant', 'event'] as const,
    registers: [this.registry],
  });

  readonly duplicates = new Counter({
    name: `${PREFIX}duplicates_total`,
    help: 'Deliveries of a request already decided (redelivered, or twice in one transaction): answered with that decision, never decided again.',
    registers: [this.registry],
  });

  readonly remaining = new Gauge({
    name: `${PREFIX}event_remaining`,
    help: 'Stock left after the last transaction of the event this replica ran.',
    labelNames: ['tenant', 'event'] as const,
    registers: [this.registry],
    collect: () => this.forgetIdleEvents(),
  });

  readonly redemptions = new Counter({
    name: `${PREFIX}redemptions_total`,
    help: 'Redemption API operations by outcome: REDEEMED, REPLAYED (same Idempotency-Key), EXISTING (same order), RELEASED, or the refusal code (COUPON_ALREADY_REDEEMED, COUPON_EXPIRED, ...).',
    labelNames: ['tenant', 'event', 'operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly stockRefusals = new Counter({
    name: `${PREFIX}stock_refusals_total`,
    help: 'Config generations refused because their stock is below what was already issued.',
    labelNames: ['tenant', 'event'] as const,
    registers: [this.registry],
  });

  readonly batchMessages = new Histogram({
    name: `${PREFIX}batch_messages`,
    help: 'Records per Kafka batch (one partition, one fetch).',
    buckets: [1, 10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000],
    registers: [this.registry],
  });

  readonly batchRequests = new Histogram({
    name: `${PREFIX}batch_requests`,
    help: 'Requests per Kafka batch, read from its records (a v2 record holds many).',
    buckets: [1, 10, 100, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000],
    registers: [this.registry],
  });

  readonly transactionRequests = new Histogram({
    name: `${PREFIX}transaction_requests`,
    help: 'Requests decided per database transaction (batches of several partitions share one).',
    buckets: [1, 10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000],
    registers: [this.registry],
  });

  readonly transactionStepSeconds = new Counter({
    name: `${PREFIX}transaction_step_seconds_total`,
    help: 'Time deciding transactions spent in each step (lock, read, plan, write, commit): where the event row lock is held.',
    labelNames: ['step'] as const,
    registers: [this.registry],
  });

  readonly transactionSeconds = new Histogram({
    name: `${PREFIX}transaction_seconds`,
    help: 'Latency of a deciding transaction, from BEGIN to COMMIT.',
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly transactionFailures = new Counter({
    name: `${PREFIX}transaction_failures_total`,
    help: 'Deciding transactions that failed and were retried, by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly publishFailures = new Counter({
    name: `${PREFIX}publish_failures_total`,
    help: 'Failed attempts to publish results or dead letters (retried).',
    registers: [this.registry],
  });

  readonly resultsPublished = new Counter({
    name: `${PREFIX}results_published_total`,
    help: 'Issue results published (a redelivered request is published again).',
    registers: [this.registry],
  });

  readonly deadLetters = new Counter({
    name: `${PREFIX}dead_letters_total`,
    help: 'Messages sent to the dead-letter topic, by reason code.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly batchesAbandoned = new Counter({
    name: `${PREFIX}batches_abandoned_total`,
    help: 'Kafka batches given up before their offsets were committed (shutdown, rebalance during an outage); they are delivered again.',
    registers: [this.registry],
  });

  readonly lag = new Gauge({
    name: `${PREFIX}consumer_lag`,
    help: 'Messages behind the partition high watermark after the last batch this replica committed.',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly mysqlUp = new Gauge({
    name: `${PREFIX}mysql_up`,
    help: '1 while the database answers; 0 during an outage (fetching is paused) and before the first connection.',
    registers: [this.registry],
  });

  readonly mysqlDownSince = new Gauge({
    name: `${PREFIX}mysql_down_since_seconds`,
    help: 'Unix time the current database outage began; 0 while the database answers.',
    registers: [this.registry],
  });

  readonly mysqlOutages = new Counter({
    name: `${PREFIX}mysql_outages_total`,
    help: 'Database outages begun (a failed check after the database had answered).',
    registers: [this.registry],
  });

  readonly mysqlOutageSeconds = new Counter({
    name: `${PREFIX}mysql_outage_seconds_total`,
    help: 'Seconds spent in database outages that have ended.',
    registers: [this.registry],
  });

  readonly mysqlCheckFailures = new Counter({
    name: `${PREFIX}mysql_check_failures_total`,
    help: 'Failed attempts to reach the database (start-up connections and health checks), by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly mysqlPrimaryChanges = new Counter({
    name: `${PREFIX}mysql_primary_changes_total`,
    help: 'Times the primary among MYSQL_HOSTS moved to another server (a failover or switchover the issuer followed).',
    registers: [this.registry],
  });

  readonly ready = new Gauge({
    name: `${PREFIX}ready`,
    help: '1 when the database answers and the consumer has joined its group.',
    registers: [this.registry],
  });

  // The outbox relay (outbox/relay.ts).
  readonly outboxEventsPublished = new Counter({
    name: `${PREFIX}outbox_events_published_total`,
    help: 'Lifecycle events published from the outbox (acknowledged by the broker), by type; republished ones count again.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly outboxPendingRows = new Gauge({
    name: `${PREFIX}outbox_pending_rows`,
    help: 'Outbox rows not yet published, as the active relay last counted them (0 on replicas standing by).',
    registers: [this.registry],
  });

  readonly outboxOldestPendingSeconds = new Gauge({
    name: `${PREFIX}outbox_oldest_pending_seconds`,
    help: 'Age of the oldest unpublished outbox row, as the active relay last saw it (0 when none, and on replicas standing by).',
    registers: [this.registry],
  });

  readonly outboxRelayActive = new Gauge({
    name: `${PREFIX}outbox_relay_active`,
    help: '1 while this replica holds the relay lock and publishes the outbox; 0 while it stands by.',
    registers: [this.registry],
  });

  readonly outboxPublishFailures = new Counter({
    name: `${PREFIX}outbox_publish_failures_total`,
    help: 'Failures of the active relay (database or broker); it starts over and publishes the unmarked rows again.',
    registers: [this.registry],
  });

  readonly outboxInvalidRows = new Counter({
    name: `${PREFIX}outbox_invalid_rows_total`,
    help: "Outbox rows that could not be made into valid events: marked kind 'Invalid', skipped, nothing published.",
    registers: [this.registry],
  });

  /** Labels of an event's series; marks it active (its series are kept). */
  eventLabels(tenant: string, event: string): { tenant: string; event: string } {
    this.lastSeen.set(`${tenant}\0${event}`, this.clock());
    return { tenant, event };
  }

  /** Removes every series of the events idle past the TTL (at scrape). */
  async forgetIdleEvents(): Promise<void> {
    const now = this.clock();
    const idle: { tenant: string; event: string }[] = [];
    for (const [key, seen] of this.lastSeen) {
      if (now - seen < this.eventSeriesTtlMs) continue;
      const [tenant, event] = key.split('\0') as [string, string];
      idle.push({ tenant, event });
      this.lastSeen.delete(key);
    }
    if (idle.length === 0) return;
    const perEvent = [
      this.couponsIssued,
      this.decisions,
      this.soldOut,
      this.remaining,
      this.redemptions,
      this.stockRefusals,
    ] as const;
    for (const metric of perEvent) {
      const { values } = await metric.get();
      for (const { labels } of values) {
        if (idle.some((e) => e.tenant === labels.tenant && e.event === labels.event))
          (metric as Gauge<string>).remove(labels as Record<string, string>);
      }
    }
  }

  constructor(options: IssuerMetricsOptions = {}) {
    this.eventSeriesTtlMs = options.eventSeriesTtlMs ?? 3_600_000;
    this.clock = options.clock ?? Date.now;
    // Node's metrics under their standard names (process_*, nodejs_*): stock dashboards
    // and alerts find them; the job and instance labels tell the services apart.
    collectDefaultMetrics({ register: this.registry });
    // At 0 from the start: a counter born at 1 shows no increase() to alerts.
    for (const reason of DEAD_LETTER_REASONS) this.deadLetters.inc({ reason }, 0);
  }
}
