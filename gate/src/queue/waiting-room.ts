import {
  ErrorCode,
  Phase,
  RediclaimError,
  EVENT_TENANTS_KEY,
  UserStatus,
  eventKeys,
  eventPhase,
  nextScheduleChange,
} from '@rediclaim/core';
import type { Redis } from 'ioredis';
import type { LiveEvent } from '../config/live-event.js';
import type { EventsStore } from '../config/events-store.js';
import { preQueueTicket } from './tickets.js';
import {
  ClosedReason,
  type EventStats,
  type JoinResult,
  type StatusView,
  type StoredResult,
} from './views.js';

/** A fresh measurement of the fleet's admission rate is younger than this. */
const RATE_FRESH_MS = 5_000;

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/**
 * The queue's operations for the HTTP APIs: join, status, event info, stats, purge.
 * Each is one Lua script call (one EVALSHA); the schedule phase is decided here with the
 * gate's clock (core's schedulePhase), the rest atomically in Redis.
 */
export class WaitingRoom {
  constructor(
    private readonly redis: Redis,
    private readonly events: EventsStore,
    private readonly clock: () => number = Date.now,
    private readonly defaultRetentionSeconds = 86_400,
  ) {
    this.rememberTenants();
    events.on('change', () => this.rememberTenants());
  }

  event(eventId: string): LiveEvent | undefined {
    return this.events.get(eventId);
  }

  /** Joins the queue, or says why not (a RediclaimError with a stable code). */
  async join(event: LiveEvent, userId: string): Promise<JoinResult> {
    const now = this.clock();
    const phase = event.phase(now);
    if (phase === Phase.Scheduled) throw notOpen(event);
    if (phase === Phase.Closed) throw closed(event, ClosedReason.Ended);
    const k = event.keys;
    const reply = (await this.redis.rcEnqueue(
      k.queue,
      k.seq,
      k.inflight,
      k.results,
      k.stats,
      k.tombstone,
      userId,
      event.stockArg,
      event.perUserLimitArg,
      event.maxQueueLengthArg,
      phase === Phase.PreQueue ? preQueueTicket() : '',
      event.uid,
    )) as [string, ...unknown[]];
    switch (reply[0]) {
      case 'QUEUED': {
        const rank = Number(reply[1]);
        const ticket = Number(reply[2]);
        return {
          answer: reply[3] === 1 ? 'ENQUEUED' : 'ALREADY_ENQUEUED',
          ticket,
          view: this.waiting(event, phase, rank, ticket, '', '', now),
        };
      }
      case 'INFLIGHT':
        return {
          answer: 'PROCESSING',
          ticket: Number(reply[1]),
          view: { ...processing(event, phase), ticketNumber: Number(reply[1]) },
        };
      case 'RESULT': {
        const view = resultView(event.id, parseStored(reply[1] as string), phase);
        const limit = event.config.coupon.perUserLimit;
        throw new RediclaimError(
          ErrorCode.AlreadyIssued,
          view.issuedCount
            ? `you already hold ${view.issuedCount} coupon(s) of event "${event.id}" (at most ${limit} per shopper)`
            : `you already hold the coupons a shopper may get from event "${event.id}" (at most ${limit})`,
          { status: view },
        );
      }
      case 'SOLD_OUT':
        throw soldOut(event);
      case 'FULL':
        throw new RediclaimError(
          ErrorCode.QueueFull,
          `the queue of event "${event.id}" is full (${Number(reply[1])} waiting); try again later`,
          { waiting: Number(reply[1]) },
        );
      case 'CLOSED':
        throw closed(event, ClosedReason.Deleted);
      default:
        throw new Error(`enqueue script answered ${String(reply[0])}`);
    }
  }

  /** Where the shopper stands. UNKNOWN_EVENT when the id is not an event (nor a deleted one). */
  async status(eventId: string, userId: string): Promise<StatusView> {
    const event = this.events.get(eventId);
    if (!event) return this.statusOfUnknown(eventId, userId);
    const now = this.clock();
    const phase = event.phase(now);
    const k = event.keys;
    const reply = (await this.redis.rcStatus(
      k.queue,
      k.inflight,
      k.results,
      k.stats,
      k.tombstone,
      userId,
      event.stockArg,
      event.uid,
    )) as [string, ...unknown[]];
    switch (reply[0]) {
      case 'QUEUED':
        if (phase === Phase.Closed) return closedView(event, ClosedReason.Ended);
        return this.waiting(
          event,
          phase,
          Number(reply[1]),
          Number(reply[2]),
          reply[3] as string,
          reply[4] as string,
          now,
        );
      case 'INFLIGHT':
        return { ...processing(event, phase), ticketNumber: Number(reply[1]) };
      case 'RESULT':
        return resultView(event.id, parseStored(reply[1] as string), phase);
      case 'SOLD_OUT':
        return finalView(event.id, UserStatus.SoldOut, eventPhase(event.config, now, true));
      case 'CLOSED':
        return closedView(event, ClosedReason.Deleted);
      default:
        if (phase === Phase.Closed) return closedView(event, ClosedReason.Ended);
        if (phase === Phase.Scheduled) return notOpenView(event, now);
        return { ...finalView(event.id, UserStatus.NotInQueue, phase) };
    }
  }

  /**
   * An id the config does not know. An event this gate served before (removed from the
   * config, deleted) answers EVENT_CLOSED, or the shopper's recorded outcome while it is
   * kept; an id never seen is UNKNOWN_EVENT.
   */
  private async statusOfUnknown(eventId: string, userId: string): Promise<StatusView> {
    const tenant = await this.formerTenant(eventId);
    if (!tenant) throw unknownEvent(eventId);
    const k = eventKeys(tenant, eventId);
    const reply = (await this.redis.rcStatus(
      k.queue,
      k.inflight,
      k.results,
      k.stats,
      k.tombstone,
      userId,
      '',
      '',
    )) as [string, ...unknown[]];
    if (reply[0] === 'RESULT')
      return resultView(eventId, parseStored(reply[1] as string), undefined);
    if (reply[0] === 'INFLIGHT')
      return { ...finalView(eventId, UserStatus.Processing, undefined), pollAfterMs: 1000 };
    return closedStatus(eventId, ClosedReason.Deleted);
  }

  /** A join for an id the config does not know: EVENT_CLOSED if it was an event here. */
  async refuseUnknown(eventId: string): Promise<RediclaimError> {
    if (!(await this.formerTenant(eventId))) return unknownEvent(eventId);
    return new RediclaimError(ErrorCode.EventClosed, `event "${eventId}" was deleted`, {
      reason: ClosedReason.Deleted,
    });
  }

  /** Tenants of every event this gate has served, to find an event's data after it left the config. */
  private readonly formerTenants = new Map<string, string>();
  /** Events whose tenant is in Redis (EVENT_TENANTS_KEY) for the other replicas. */
  private readonly sharedTenants = new Set<string>();
  /** A write to EVENT_TENANTS_KEY failed: the next lookup tries again. */
  private sharingFailed = false;

  private rememberTenants(): void {
    this.sharingFailed = false;
    const fresh: string[] = [];
    for (const event of this.events.all()) {
      this.formerTenants.set(event.id, event.tenant);
      if (!this.sharedTenants.has(event.id)) fresh.push(event.id, event.tenant);
    }
    if (fresh.length === 0) return;
    // Not awaited: the config applies at once. Should Redis be away, the next change
    // or lookup tries again, and every replica that serves the event writes it too.
    this.redis.hset(EVENT_TENANTS_KEY, ...fresh).then(
      () => {
        for (let i = 0; i < fresh.length; i += 2) this.sharedTenants.add(fresh[i]!);
      },
      () => (this.sharingFailed = true),
    );
  }

  /** The tenant of an event that left the config: this gate's memory, else Redis'. */
  private async formerTenant(eventId: string): Promise<string | undefined> {
    const known = this.formerTenants.get(eventId);
    if (known) return known;
    if (this.sharingFailed) this.rememberTenants();
    const shared = await this.redis.hget(EVENT_TENANTS_KEY, eventId);
    if (shared) this.formerTenants.set(eventId, shared);
    return shared ?? undefined;
  }

  private waiting(
    event: LiveEvent,
    phase: Phase,
    rank: number,
    ticketNumber: number,
    rate: string,
    rateAt: string,
    now: number,
  ): StatusView {
    const preQueue = phase === Phase.PreQueue;
    const ahead = rank - 1;
    let etaSeconds: number | null = null;
    if (phase === Phase.Open) {
      const observed = rate === '' ? NaN : Number(rate);
      const fresh = rateAt !== '' && now - Number(rateAt) < RATE_FRESH_MS && observed >= 0;
      const effective = fresh ? Math.min(event.rate, observed) : event.rate;
      etaSeconds = effective >= 0.01 ? Math.ceil(ahead / effective) : null;
    }
    let pollAfterMs: number;
    if (preQueue) {
      pollAfterMs = clamp((Date.parse(event.config.schedule.opensAt) - now) / 2, 1000, 30_000);
    } else if (etaSeconds === null) {
      pollAfterMs = 5000;
    } else {
      pollAfterMs = clamp((etaSeconds * 1000) / 5, 1000, 10_000);
    }
    const view: StatusView = {
      eventId: event.id,
      status: UserStatus.Waiting,
      phase,
      rank,
      ahead,
      etaSeconds,
      preQueue,
      pollAfterMs: Math.round(pollAfterMs),
      ticketNumber,
    };
    if (preQueue) view.opensAt = event.config.schedule.opensAt;
    return view;
  }

  /** Live counts of one event (admin API and the public event page). */
  async stats(tenant: string, eventId: string): Promise<EventStats> {
    const event = this.events.find(tenant, eventId);
    const k = event?.keys ?? eventKeys(tenant, eventId);
    const reply = (await this.redis.rcStats(k.queue, k.inflight, k.stats, k.tombstone)) as [
      number,
      number,
      string,
      ...string[],
    ];
    const fields = new Map<string, string>();
    for (let i = 3; i + 1 < reply.length; i += 2)
      fields.set(reply[i] as string, reply[i + 1] as string);
    const num = (name: string) => Number(fields.get(name) ?? 0) || 0;
    const queued = Number(reply[0]);
    // In flight: admitted and awaiting a result, the retry set (sent again) included.
    const processing = Number(reply[1]);
    const tombstone = reply[2];
    const deleted =
      tombstone !== '' && (!event?.uid || tombstone === '*' || tombstone === event.uid);
    const stock = event?.stock ?? 0;
    const issued = num('issued');
    const soldOutAt = fields.has('soldOutAtStock') ? num('soldOutAtStock') : -1;
    const soldOut = event !== undefined && (issued >= stock || soldOutAt >= stock);
    // Waiting = shoppers who can still get something. Those left in the queue of a sold-out
    // or ended event are told SOLD_OUT / EVENT_CLOSED; they keep their place only for a
    // raised stock (DELETE frees it).
    const over =
      soldOut || deleted || (event !== undefined && event.phase(this.clock()) === Phase.Closed);
    return {
      tenant,
      eventId,
      known: event !== undefined || queued > 0 || processing > 0 || fields.size > 0,
      waiting: over ? 0 : queued,
      processing,
      issued,
      remaining: Math.max(0, stock - issued),
      soldOut,
      admittedTotal: num('admittedTotal'),
      outcomes: {
        ISSUED: num('outcome:ISSUED'),
        SOLD_OUT: num('outcome:SOLD_OUT'),
        ALREADY_ISSUED: num('outcome:ALREADY_ISSUED'),
        REJECTED: num('outcome:REJECTED'),
      },
      stock,
      generation: event?.config.generation ?? 0,
      admissionRate: num('rate'),
      requeued: { timeout: num('requeuedTimeout'), sendFailed: num('requeuedFailed') },
      deleted,
    };
  }

  /** Deletes an event's data, leaving a tombstone for late pollers. Idempotent. */
  async purge(tenant: string, eventId: string, uid?: string): Promise<number> {
    const event = this.events.find(tenant, eventId);
    const k = event?.keys ?? eventKeys(tenant, eventId);
    const retention = event?.retentionSeconds ?? this.defaultRetentionSeconds;
    return this.redis.rcPurge(
      k.queue,
      k.seq,
      k.inflight,
      k.deadlines,
      k.results,
      k.stats,
      k.limiter,
      k.retry,
      k.tombstone,
      uid || event?.uid || '*',
      retention,
    );
  }

  /** The public page of an event: schedule, phase and live counts. */
  async info(event: LiveEvent): Promise<EventInfo> {
    const now = this.clock();
    const stats = await this.stats(event.tenant, event.id);
    const { schedule, coupon, admission, displayName } = event.config;
    const phase = stats.deleted ? Phase.Closed : eventPhase(event.config, now, stats.soldOut);
    const next = stats.deleted ? undefined : nextScheduleChange(schedule, now);
    return {
      eventId: event.id,
      displayName: displayName ?? event.id,
      phase,
      opensAt: schedule.opensAt,
      closesAt: schedule.closesAt ?? null,
      preQueueOpensAt: schedule.preQueueOpensAt ?? null,
      nextChangeAt: next === undefined ? null : new Date(next).toISOString(),
      secondsToNextChange: next === undefined ? null : Math.ceil((next - now) / 1000),
      discount: coupon.discount,
      perUserLimit: coupon.perUserLimit,
      stock: coupon.stock,
      remaining: stats.remaining,
      soldOut: stats.soldOut,
      waiting: stats.waiting,
      dispatchPerSecond: admission.dispatchPerSecond,
      admissionRate: stats.admissionRate,
    };
  }
}

export interface EventInfo {
  eventId: string;
  displayName: string;
  phase: Phase;
  opensAt: string;
  closesAt: string | null;
  preQueueOpensAt: string | null;
  nextChangeAt: string | null;
  secondsToNextChange: number | null;
  discount: LiveEvent['config']['coupon']['discount'];
  perUserLimit: number;
  stock: number;
  remaining: number;
  soldOut: boolean;
  waiting: number;
  dispatchPerSecond: number;
  admissionRate: number;
}

export function parseStored(text: string): StoredResult {
  return JSON.parse(text) as StoredResult;
}

function finalView(eventId: string, status: UserStatus, phase: Phase | undefined): StatusView {
  return {
    eventId,
    status,
    ...(phase ? { phase } : {}),
    rank: null,
    ahead: null,
    etaSeconds: null,
    preQueue: false,
    pollAfterMs: null,
  };
}

function processing(event: LiveEvent, phase: Phase): StatusView {
  return { ...finalView(event.id, UserStatus.Processing, phase), pollAfterMs: 1000 };
}

function resultView(eventId: string, stored: StoredResult, phase: Phase | undefined): StatusView {
  const view = finalView(eventId, stored.status, phase);
  if (stored.coupon) view.coupon = stored.coupon;
  if (stored.reason) view.reason = stored.reason;
  view.decidedAt = stored.decidedAt;
  view.issuedCount = stored.issuedCount;
  return view;
}

function closedStatus(eventId: string, reason: string): StatusView {
  return { ...finalView(eventId, UserStatus.EventClosed, Phase.Closed), reason };
}

function closedView(event: LiveEvent, reason: string): StatusView {
  const view = closedStatus(event.id, reason);
  if (event.config.schedule.closesAt) view.closesAt = event.config.schedule.closesAt;
  return view;
}

function notOpenView(event: LiveEvent, now: number): StatusView {
  const { opensAt, preQueueOpensAt } = event.config.schedule;
  const next = Date.parse(preQueueOpensAt ?? opensAt);
  return {
    ...finalView(event.id, UserStatus.EventNotOpen, Phase.Scheduled),
    pollAfterMs: Math.round(clamp((next - now) / 2, 1000, 60_000)),
    opensAt,
    ...(preQueueOpensAt ? { preQueueOpensAt } : {}),
  };
}

export function unknownEvent(eventId: string): RediclaimError {
  return new RediclaimError(ErrorCode.UnknownEvent, `there is no event "${eventId}"`);
}

function notOpen(event: LiveEvent): RediclaimError {
  const { opensAt, preQueueOpensAt } = event.config.schedule;
  return new RediclaimError(
    ErrorCode.EventNotOpen,
    preQueueOpensAt
      ? `event "${event.id}" takes shoppers from ${preQueueOpensAt} (opens at ${opensAt})`
      : `event "${event.id}" opens at ${opensAt}`,
    { opensAt, ...(preQueueOpensAt ? { preQueueOpensAt } : {}) },
  );
}

function closed(event: LiveEvent, reason: string): RediclaimError {
  return new RediclaimError(
    ErrorCode.EventClosed,
    reason === ClosedReason.Deleted
      ? `event "${event.id}" was deleted`
      : `event "${event.id}" closed at ${event.config.schedule.closesAt}`,
    { reason },
  );
}

function soldOut(event: LiveEvent): RediclaimError {
  return new RediclaimError(
    ErrorCode.SoldOut,
    `every coupon of event "${event.id}" has been issued`,
  );
}
