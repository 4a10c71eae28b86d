import {
  Phase,
  UserStatus,
  eventKeys,
  eventPhase,
  nextScheduleChange,
  type EventKeys,
  type RediclaimError,
} from '@rediclaim/core';
import type { LiveEvent } from '../config/live-event.js';
import type { EventsStore } from '../config/events-store.js';
import type { GateScripts } from '../redis/gate-scripts.js';
import { eventStatsOf } from './event-stats.js';
import { FormerEventDirectory } from './former-events.js';
import {
  alreadyIssued,
  closed,
  deletedEvent,
  notOpen,
  queueFull,
  soldOut,
  unknownEvent,
} from './refusals.js';
import {
  closedStatus,
  closedView,
  finalView,
  formerSaleOf,
  notOpenView,
  parseStored,
  processingView,
  resultView,
  waitingView,
} from './status-views.js';
import { redemptionFieldsOf, withRedemptions } from './redemptions.js';
import { preQueueTicket } from './tickets.js';
import {
  ClosedReason,
  type EventInfo,
  type EventStats,
  type JoinResult,
  type StatusView,
} from './views.js';

/**
 * The queue's operations for the HTTP APIs: join, status, event info, stats, purge.
 * Each is one Lua script call (one EVALSHA); the schedule phase is decided here with the
 * gate's clock (core's schedulePhase), the rest atomically in Redis.
 */
export class WaitingRoom {
  private readonly formerEvents: FormerEventDirectory;

  constructor(
    private readonly scripts: GateScripts,
    private readonly events: EventsStore,
    private readonly clock: () => number = Date.now,
    private readonly defaultRetentionSeconds = 86_400,
    /** Whether coupons' redemption states are followed (the coupons consumer runs). */
    private readonly redemptions = false,
  ) {
    this.formerEvents = new FormerEventDirectory(scripts.redis, events);
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
    const enqueue = () =>
      this.scripts.enqueue(event.keys, {
        userId,
        stock: event.stockArg,
        perUserLimit: event.perUserLimitArg,
        maxQueueLength: event.maxQueueLengthArg,
        preQueueTicket: phase === Phase.PreQueue ? preQueueTicket() : '',
        uid: event.uid,
      });
    let reply = await enqueue();
    if (reply.kind === 'STALE') {
      await this.retireReplaced(event, reply.owner);
      reply = await enqueue();
    }
    switch (reply.kind) {
      case 'QUEUED':
        return {
          answer: reply.joinedNow ? 'ENQUEUED' : 'ALREADY_ENQUEUED',
          ticket: reply.ticket,
          view: waitingView(event, phase, reply, now),
        };
      case 'INFLIGHT':
        return {
          answer: 'PROCESSING',
          ticket: reply.ticket,
          view: { ...processingView(event, phase), ticketNumber: reply.ticket },
        };
      case 'RESULT': {
        const view = await this.withRedemptions(
          event.keys,
          userId,
          resultView(event.id, parseStored(reply.stored), phase),
        );
        throw alreadyIssued(event, view.issuedCount, view);
      }
      case 'SOLD_OUT':
        throw soldOut(event);
      case 'FULL':
        throw queueFull(event, reply.waiting);
      case 'CLOSED':
        throw closed(event, ClosedReason.Deleted);
      case 'STALE':
        throw new Error(`event ${event.id}: the sale ${reply.owner} it replaced would not retire`);
    }
  }

  /**
   * The event's keys still hold the sale it replaced (a CouponEvent deleted and applied
   * again under the same id, or taken over): retire that sale, whose outcomes stay
   * readable for its holders, so this one starts with nothing of it.
   */
  private async retireReplaced(event: LiveEvent, owner: string): Promise<void> {
    await this.scripts.retire(event.keys, {
      uid: owner,
      retentionSeconds: event.retentionSeconds,
    });
  }

  /**
   * The view with its coupons' redemption states, read after the standing (one HMGET,
   * only for a shopper holding a coupon): unchanged when states are not followed.
   */
  private async withRedemptions(
    keys: EventKeys,
    userId: string,
    view: StatusView,
  ): Promise<StatusView> {
    if (!this.redemptions) return view;
    const fields = redemptionFieldsOf(view);
    if (fields.length === 0) return view;
    const stored = await this.scripts.redis.hmget(keys.redemptions, ...fields);
    return withRedemptions(view, userId, stored);
  }

  /** Where the shopper stands. UNKNOWN_EVENT when the id is not an event (nor a deleted one). */
  async status(eventId: string, userId: string): Promise<StatusView> {
    const event = this.events.get(eventId);
    if (!event) return this.statusOfUnknown(eventId, userId);
    return this.withRedemptions(event.keys, userId, await this.standing(event, userId));
  }

  private async standing(event: LiveEvent, userId: string): Promise<StatusView> {
    const now = this.clock();
    const phase = event.phase(now);
    const ask = () =>
      this.scripts.status(event.keys, { userId, stock: event.stockArg, uid: event.uid });
    let reply = await ask();
    if (reply.kind === 'STALE') {
      await this.retireReplaced(event, reply.owner);
      reply = await ask();
    }
    switch (reply.kind) {
      case 'QUEUED':
        if (phase === Phase.Closed) return closedView(event, ClosedReason.Ended);
        return waitingView(event, phase, reply, now);
      case 'INFLIGHT':
        return { ...processingView(event, phase, reply.ageMs), ticketNumber: reply.ticket };
      case 'RESULT':
        return resultView(event.id, parseStored(reply.stored), phase);
      case 'SOLD_OUT':
        return finalView(event.id, UserStatus.SoldOut, eventPhase(event.config, now, true));
      case 'CLOSED':
        return closedView(event, ClosedReason.Deleted);
      case 'FORMER':
      case 'NONE': {
        const view =
          phase === Phase.Closed
            ? closedView(event, ClosedReason.Ended)
            : phase === Phase.Scheduled
              ? notOpenView(event, now)
              : finalView(event.id, UserStatus.NotInQueue, phase);
        // Not in this sale, but in one this event id had before: their coupon stays theirs.
        if (reply.kind === 'FORMER') view.formerSale = formerSaleOf(parseStored(reply.stored));
        return view;
      }
      case 'STALE':
        throw new Error(`event ${event.id}: the sale ${reply.owner} it replaced would not retire`);
    }
  }

  /**
   * An id the config does not know. An event this gate served before (removed from the
   * config, deleted) answers EVENT_CLOSED, or the shopper's recorded outcome while it is
   * kept; an id never seen is UNKNOWN_EVENT.
   */
  private async statusOfUnknown(eventId: string, userId: string): Promise<StatusView> {
    const tenant = await this.formerEvents.tenantOf(eventId);
    if (!tenant) throw unknownEvent(eventId);
    const keys = eventKeys(tenant, eventId);
    const reply = await this.scripts.status(keys, { userId, stock: '', uid: '' });
    // A deleted sale: its coupons stay with their holders for the retention; everyone
    // still waiting learns it was cancelled.
    if (reply.kind === 'RESULT' || reply.kind === 'FORMER')
      return this.withRedemptions(
        keys,
        userId,
        resultView(eventId, parseStored(reply.stored), Phase.Closed),
      );
    if (reply.kind === 'INFLIGHT')
      return { ...finalView(eventId, UserStatus.Processing, undefined), pollAfterMs: 1000 };
    return closedStatus(eventId, ClosedReason.Deleted);
  }

  /** The tenant of an event the config has, or had. */
  async tenantOf(eventId: string): Promise<string | undefined> {
    return this.events.get(eventId)?.tenant ?? (await this.formerEvents.tenantOf(eventId));
  }

  /** A join for an id the config does not know: EVENT_CLOSED if it was an event here. */
  async refuseUnknown(eventId: string): Promise<RediclaimError> {
    return (await this.formerEvents.tenantOf(eventId))
      ? deletedEvent(eventId)
      : unknownEvent(eventId);
  }

  /** Live counts of one event (admin API and the public event page). */
  async stats(tenant: string, eventId: string): Promise<EventStats> {
    const event = this.events.find(tenant, eventId);
    const reply = await this.scripts.stats(event?.keys ?? eventKeys(tenant, eventId));
    return eventStatsOf(tenant, eventId, event, reply, this.clock());
  }

  /**
   * Retires a deleted sale: its queue goes, its outcomes stay readable for the
   * retention, a tombstone tells late pollers it was cancelled. Idempotent; never
   * touches another sale's live keys.
   */
  async retire(tenant: string, eventId: string, uid?: string): Promise<number> {
    const event = this.events.find(tenant, eventId);
    return this.scripts.retire(event?.keys ?? eventKeys(tenant, eventId), {
      uid: uid || event?.uid || '*',
      retentionSeconds: event?.retentionSeconds ?? this.defaultRetentionSeconds,
    });
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
      proofOfWork: admission.proofOfWork.enabled,
    };
  }
}
