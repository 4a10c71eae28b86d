import {
  eventKeys,
  nextScheduleChange,
  schedulePhase,
  type EventConfig,
  type EventKeys,
  type IssuePolicy,
  type SchedulePhase,
} from '@rediclaim/core';

/**
 * One event as the gate serves it: its config plus what every request would otherwise
 * recompute (Redis keys, the policy snapshot sent to the issuer, the schedule phase
 * until its next change). Immutable; a config change builds a new one.
 */
export class LiveEvent {
  readonly id: string;
  readonly tenant: string;
  readonly uid: string;
  readonly keys: EventKeys;
  /** The policy the issuer decides with, stamped with the config generation. */
  readonly policy: IssuePolicy;
  /** ARGV strings of the hot scripts, built once. */
  readonly stockArg: string;
  readonly perUserLimitArg: string;
  readonly maxQueueLengthArg: string;
  private phaseCache: { phase: SchedulePhase; from: number; until: number } | undefined;

  constructor(readonly config: EventConfig) {
    this.id = config.id;
    this.tenant = config.tenant;
    this.uid = config.uid ?? '';
    this.keys = eventKeys(config.tenant, config.id);
    this.policy = { ...config.coupon, generation: config.generation };
    this.stockArg = String(config.coupon.stock);
    this.perUserLimitArg = String(config.coupon.perUserLimit);
    this.maxQueueLengthArg = String(config.admission.maxQueueLength);
  }

  get stock(): number {
    return this.config.coupon.stock;
  }

  get rate(): number {
    return this.config.admission.dispatchPerSecond;
  }

  get retentionSeconds(): number {
    return this.config.admission.retentionSeconds;
  }

  get processingTimeoutMs(): number {
    return this.config.admission.processingTimeoutSeconds * 1000;
  }

  /** The schedule's phase at `now` (core's schedulePhase), cached until the next change. */
  phase(now: number): SchedulePhase {
    const cached = this.phaseCache;
    if (cached && now >= cached.from && now < cached.until) return cached.phase;
    const phase = schedulePhase(this.config, now);
    const until = nextScheduleChange(this.config.schedule, now) ?? Number.POSITIVE_INFINITY;
    this.phaseCache = { phase, from: now, until };
    return phase;
  }

  /** Whether the config differs in anything but metadata. */
  sameAs(other: LiveEvent): boolean {
    return JSON.stringify(this.config) === JSON.stringify(other.config);
  }
}
