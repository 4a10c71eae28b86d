import { z } from 'zod';

/**
 * The gate's internal admin API (its admin port), which only the operator calls:
 *
 *   GET    /internal/v1/events/:tenant/:eventId/stats   one event's live counts (EventStats)
 *   DELETE /internal/v1/events/:tenant/:eventId[?uid=]  delete its queue data, leave a
 *                                                       tombstone for that uid (204)
 *
 * Both need `Authorization: Bearer <ADMIN_TOKEN>` when the gate has a token. The gate
 * serves exactly eventStatsSchema; a reader relies only on eventStatsReadSchema, so a
 * gate one version older or newer (a rolling upgrade) is still understood.
 */
export const GATE_ADMIN_PREFIX = '/internal/v1/events';

export function gateAdminEventPath(tenant: string, eventId: string): string {
  return `${GATE_ADMIN_PREFIX}/${encodeURIComponent(tenant)}/${encodeURIComponent(eventId)}`;
}

export function gateAdminStatsPath(tenant: string, eventId: string): string {
  return `${gateAdminEventPath(tenant, eventId)}/stats`;
}

const count = z.int().min(0);

export const eventStatsSchema = z.object({
  tenant: z.string(),
  eventId: z.string(),
  /** The gate has the event in its config, or data of it in Redis. */
  known: z.boolean(),
  /** Shoppers who can still get something (0 once sold out, ended or deleted). */
  waiting: count,
  /** Admitted and awaiting the issuer's answer, those due to be sent again included. */
  processing: count,
  issued: count,
  remaining: count,
  soldOut: z.boolean(),
  /**
   * Coupons of the sale currently redeemed at the shop (redeemed and not released), from
   * the issuer's lifecycle events (0 when the gate does not consume them).
   */
  redeemed: count,
  /** Shoppers ever admitted (re-sends not counted). */
  admittedTotal: count,
  outcomes: z.object({
    ISSUED: count,
    SOLD_OUT: count,
    ALREADY_ISSUED: count,
    REJECTED: count,
  }),
  stock: count,
  generation: z.int(),
  /** The fleet's observed admissions per second (EWMA); 0 when not measured. */
  admissionRate: z.number().min(0),
  /**
   * Backpressure, fleet-wide: the configured rate is a ceiling, and the gates admit slower
   * while admitted shoppers stay overdue (the issuer, its consumer or the results path
   * falls behind). Optional: gates before it do not say.
   */
  backpressure: z
    .object({
      /** spec.admission.dispatchPerSecond. */
      configuredPerSecond: z.number().min(0),
      /** What the gates admit at most now (shoppers per second, rounded). */
      allowedPerSecond: z.number().min(0),
      /** allowedPerSecond is below the configured rate. */
      slowed: z.boolean(),
      /** Admitted shoppers without a result past the overdue age, at the last admission. */
      overdue: count,
      /** Since when admission has been slowed (ISO 8601), while it is. */
      since: z.string().optional(),
      /** Times the allowance was cut in this sale. */
      slowdowns: count,
    })
    .optional(),
  /** Admissions sent again: after their processing timeout, or after a failed send. */
  requeued: z.object({ timeout: count, sendFailed: count }),
  /** The event was deleted (a tombstone for its uid exists). */
  deleted: z.boolean(),
  /**
   * Whether the answering replica admits anyone new for a reason of its own, whatever
   * the event's phase (its schedule and admission mode say the rest). Optional: gates
   * before it do not say.
   */
  admission: z
    .object({
      paused: z.boolean(),
      /** CamelCase, like a condition's reason: KafkaUnavailable. Other values may come. */
      reason: z.string().optional(),
      /** A sentence for people. */
      message: z.string().optional(),
      /** Since when (ISO 8601). */
      since: z.string().optional(),
    })
    .optional(),
});
export type EventStats = z.output<typeof eventStatsSchema>;

/** What a reader of the stats may rely on from any gate version: the rest is optional. */
export const eventStatsReadSchema = eventStatsSchema.partial().required({
  tenant: true,
  eventId: true,
  known: true,
  waiting: true,
  processing: true,
  issued: true,
  remaining: true,
  soldOut: true,
});
export type EventStatsRead = z.output<typeof eventStatsReadSchema>;

/** The stats of an event nobody has heard of. */
export function emptyEventStats(tenant: string, eventId: string): EventStats {
  return {
    tenant,
    eventId,
    known: false,
    waiting: 0,
    processing: 0,
    issued: 0,
    remaining: 0,
    soldOut: false,
    redeemed: 0,
    admittedTotal: 0,
    outcomes: { ISSUED: 0, SOLD_OUT: 0, ALREADY_ISSUED: 0, REJECTED: 0 },
    stock: 0,
    generation: 0,
    admissionRate: 0,
    requeued: { timeout: 0, sendFailed: 0 },
    deleted: false,
  };
}
