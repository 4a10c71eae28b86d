import {
  CouponEventApi,
  eventConfigFromCouponEvent,
  eventIdOf,
  isRediclaimError,
  type CouponEvent,
  type EventConfig,
} from '@rediclaim/core';
import { quotaMessage, quotaStanding } from './quota.js';

/** Why the operator refused a spec the API server accepted (Accepted=False reasons). */
export const RejectReason = {
  InvalidSpec: 'InvalidSpec',
  EventIdConflict: 'EventIdConflict',
  NamespaceQuotaExceeded: 'NamespaceQuotaExceeded',
  StockBelowIssued: 'StockBelowIssued',
  PreQueueAfterOpening: 'PreQueueAfterOpening',
} as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];

export type Verdict =
  | { accepted: true; config: EventConfig }
  | { accepted: false; reason: RejectReason; message: string; config?: EventConfig };

export type Parsed = { ok: true; config: EventConfig } | { ok: false; message: string };

/**
 * Parsed objects, by identity: the informer replaces an object on every change, so an
 * entry is never stale, and polling an open event or judging its rivals again costs no
 * second zod parse. Results are treated as read-only.
 */
const parsedObjects = new WeakMap<CouponEvent, Parsed>();

/** Parses a CouponEvent into its rendered config: the schema's defaults and every zod rule. */
export function parseCouponEvent(event: CouponEvent): Parsed {
  const known = parsedObjects.get(event);
  if (known) return known;
  let parsed: Parsed;
  try {
    parsed = { ok: true, config: eventConfigFromCouponEvent(event) };
  } catch (error) {
    if (!isRediclaimError(error)) throw error;
    parsed = { ok: false, message: error.message };
  }
  parsedObjects.set(event, parsed);
  return parsed;
}

function createdAt(event: CouponEvent): number {
  const t = event.metadata.creationTimestamp;
  return t === undefined ? Number.MAX_SAFE_INTEGER : new Date(t).getTime();
}

function refOf(event: CouponEvent): string {
  return `${event.metadata.namespace}/${event.metadata.name}`;
}

/** Still holds its id: live, or being deleted but not yet cleaned up by us. */
export function holdsEventId(event: CouponEvent): boolean {
  return (
    !event.metadata.deletionTimestamp ||
    (event.metadata.finalizers ?? []).includes(CouponEventApi.finalizer)
  );
}

/**
 * Which CouponEvent owns an event id when several ask for it (shoppers address events
 * by id alone, so an id serves one tenant). The one already serving it (rendered into
 * the config) keeps it; otherwise the oldest wins, then namespace/name order so every
 * replica judges alike. Specs that do not parse claim nothing, nor do events their
 * namespace's quota refuses (`eligible`): an event that is not served holds no id.
 */
export function eventIdOwner(
  candidates: readonly CouponEvent[],
  isServing: (event: CouponEvent) => boolean,
  eligible: (event: CouponEvent) => boolean = () => true,
): CouponEvent | undefined {
  const claims = candidates.filter((c) => takesPlace(c) && eligible(c));
  const serving = claims.find(isServing);
  if (serving) return serving;
  return [...claims].sort(
    (a, b) => createdAt(a) - createdAt(b) || (refOf(a) < refOf(b) ? -1 : 1),
  )[0];
}

/** Counts toward its namespace's quota and may claim an id: valid, and not yet cleaned up. */
function takesPlace(event: CouponEvent): boolean {
  return holdsEventId(event) && parseCouponEvent(event).ok;
}

export interface JudgeContext {
  /** Every CouponEvent the operator sees (the event itself may be among them). */
  all: readonly CouponEvent[];
  /** Whether an event is rendered into the config now. */
  isServing(event: CouponEvent): boolean;
  /** Coupons the gate says were issued for this event, when it could say. */
  issued?: number;
  /** CouponEvents one namespace may have served; 0 or unset: no limit. */
  maxEventsPerNamespace?: number;
  /** The config served for this event now (the last accepted generation), if any. */
  served?: EventConfig;
  /** Epoch ms the schedule is judged at. */
  now?: number;
}

/**
 * A sale that has opened queues its shoppers first-come-first-served; a pre-queue hands
 * out random tickets ahead of every first-come one. So once the served schedule has
 * opened, a spec that opens it again later with a pre-queue would put new arrivals ahead
 * of shoppers already waiting. Postponing without a pre-queue is fine: everyone keeps
 * their place and admission resumes at the new opensAt.
 */
function reopensPreQueue(config: EventConfig, served: EventConfig, now: number): boolean {
  return (
    Date.parse(served.schedule.opensAt) <= now &&
    Date.parse(config.schedule.opensAt) > now &&
    config.schedule.preQueueOpensAt !== undefined
  );
}

/**
 * The checks the CRD schema cannot make (or that a stale schema would miss), in the
 * order a person fixes them: the spec parses; its namespace has room for it (quota);
 * its eventId is not another event's; its stock is not below what was already issued;
 * it does not put an opened sale back into a pre-queue.
 */
export function judge(event: CouponEvent, context: JudgeContext): Verdict {
  const parsed = parseCouponEvent(event);
  if (!parsed.ok)
    return { accepted: false, reason: RejectReason.InvalidSpec, message: parsed.message };
  const { config } = parsed;
  const limit = context.maxEventsPerNamespace ?? 0;
  const standing = (e: CouponEvent) =>
    quotaStanding(e, context.all, limit, context.isServing, takesPlace);
  const own = standing(event);
  if (!own.within)
    return {
      accepted: false,
      reason: RejectReason.NamespaceQuotaExceeded,
      message: quotaMessage(event.metadata.namespace ?? '', limit, own.counted),
      config,
    };
  const uid = event.metadata.uid;
  const rivals = context.all.filter(
    (other) => eventIdOf(other) === config.id && other.metadata.uid !== uid,
  );
  if (rivals.length) {
    const owner = eventIdOwner([event, ...rivals], context.isServing, (e) => standing(e).within);
    if (owner && owner.metadata.uid !== uid)
      return {
        accepted: false,
        reason: RejectReason.EventIdConflict,
        message: `eventId "${config.id}" already belongs to CouponEvent ${refOf(owner)}${
          owner.metadata.deletionTimestamp ? ' (being deleted; this one takes over after)' : ''
        }; event ids are unique across namespaces, so set another spec.eventId.`,
        config,
      };
  }
  if (context.issued !== undefined && config.coupon.stock < context.issued)
    return {
      accepted: false,
      reason: RejectReason.StockBelowIssued,
      message: `spec.coupon.stock is ${config.coupon.stock} but ${context.issued} coupons were already issued; stock can be raised, never lowered below what was issued.`,
      config,
    };
  const { served, now } = context;
  if (served && now !== undefined && reopensPreQueue(config, served, now))
    return {
      accepted: false,
      reason: RejectReason.PreQueueAfterOpening,
      message: `the sale opened at ${served.schedule.opensAt}, and spec.schedule moves opensAt to ${config.schedule.opensAt} with a pre-queue: its random tickets would go ahead of shoppers already waiting in order. Remove preQueueOpensAt to postpone, pause with spec.admission.mode: paused, or create a new CouponEvent for a new sale.`,
      config,
    };
  return { accepted: true, config };
}
