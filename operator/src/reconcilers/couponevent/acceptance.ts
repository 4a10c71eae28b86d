import {
  CouponEventApi,
  eventConfigFromCouponEvent,
  eventIdOf,
  isRediclaimError,
  type CouponEvent,
  type EventConfig,
} from '@rediclaim/core';

/** Why the operator refused a spec the API server accepted (Accepted=False reasons). */
export const RejectReason = {
  InvalidSpec: 'InvalidSpec',
  EventIdConflict: 'EventIdConflict',
  StockBelowIssued: 'StockBelowIssued',
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
 * replica judges alike. Specs that do not parse claim nothing.
 */
export function eventIdOwner(
  candidates: readonly CouponEvent[],
  isServing: (event: CouponEvent) => boolean,
): CouponEvent | undefined {
  const claims = candidates.filter((c) => holdsEventId(c) && parseCouponEvent(c).ok);
  const serving = claims.find(isServing);
  if (serving) return serving;
  return [...claims].sort(
    (a, b) => createdAt(a) - createdAt(b) || (refOf(a) < refOf(b) ? -1 : 1),
  )[0];
}

export interface JudgeContext {
  /** Every CouponEvent the operator sees (the event itself may be among them). */
  all: readonly CouponEvent[];
  /** Whether an event is rendered into the config now. */
  isServing(event: CouponEvent): boolean;
  /** Coupons the gate says were issued for this event, when it could say. */
  issued?: number;
}

/**
 * The checks the CRD schema cannot make (or that a stale schema would miss), in the
 * order a person fixes them: the spec parses; its eventId is not another event's; its
 * stock is not below what was already issued.
 */
export function judge(event: CouponEvent, context: JudgeContext): Verdict {
  const parsed = parseCouponEvent(event);
  if (!parsed.ok)
    return { accepted: false, reason: RejectReason.InvalidSpec, message: parsed.message };
  const { config } = parsed;
  const uid = event.metadata.uid;
  const rivals = context.all.filter(
    (other) => eventIdOf(other) === config.id && other.metadata.uid !== uid,
  );
  if (rivals.length) {
    const owner = eventIdOwner([event, ...rivals], context.isServing);
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
  return { accepted: true, config };
}
