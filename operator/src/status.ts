import {
  ConditionType,
  Phase,
  eventPhase,
  nextScheduleChange,
  type CouponEventStatus,
  type EventConfig,
} from '@rediclaim/core';
import type { Verdict } from './acceptance.js';
import { findCondition, isoSeconds, mergeConditions, type ConditionSpec } from './conditions.js';
import type { GateStats } from './gate-client.js';

/** Condition types beyond core's three, about what this event depends on. */
export const OperatorConditionType = {
  /** The issuer Deployment is scaled for the open events (or could not be). */
  IssuerScaled: 'IssuerScaled',
  /** The live counts come from the gate now (False: the gate did not answer; counts are old). */
  CountsAvailable: 'CountsAvailable',
  /** Set while a deleted event waits for its cleanup. */
  CleanedUp: 'CleanedUp',
} as const;

/** What the platform-wide part of the reconcile last found about the issuer. */
export interface IssuerCondition {
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

export interface StatusInputs {
  generation: number;
  eventId: string;
  verdict: Verdict;
  /** The config the platform serves for this event: the accepted one, or the last accepted. */
  effective: EventConfig | undefined;
  /** The generation the ConfigMap holds for this event, if any. */
  configuredGeneration: number | undefined;
  /** Why the ConfigMap could not be written, when it could not. */
  configError: string | undefined;
  configMapRef: string;
  /** The gate's counts: fresh from this reconcile, or the last ones we had. */
  stats: GateStats | undefined;
  /** Why the gate did not answer this time. */
  statsError: string | undefined;
  issuer: IssuerCondition;
  previous: CouponEventStatus | undefined;
  now: Date;
}

/** The status the event should have: pure, so reconciling twice writes once. */
export function desiredStatus(input: StatusInputs): CouponEventStatus {
  const { verdict, effective, stats, now } = input;
  const nowMs = now.getTime();
  const phase = effective ? eventPhase(effective, nowMs, stats?.soldOut ?? false) : Phase.Failed;
  const next = effective ? nextScheduleChange(effective.schedule, nowMs) : undefined;

  const conditions: ConditionSpec[] = [];
  if (verdict.accepted)
    conditions.push({
      type: ConditionType.Accepted,
      status: 'True',
      reason: 'Valid',
      message: `The spec is valid and eventId "${verdict.config.id}" is this event's.`,
    });
  else
    conditions.push({
      type: ConditionType.Accepted,
      status: 'False',
      reason: verdict.reason,
      message: effective
        ? `${verdict.message} The last accepted spec (generation ${effective.generation}) stays in effect.`
        : verdict.message,
    });

  if (!effective)
    conditions.push({
      type: ConditionType.Configured,
      status: 'False',
      reason: 'NotAccepted',
      message: 'Nothing is rendered into the gate config until the spec is accepted.',
    });
  else if (input.configError && input.configuredGeneration !== effective.generation)
    conditions.push({
      type: ConditionType.Configured,
      status: 'False',
      reason: 'ConfigMapWriteFailed',
      message: `Could not write ConfigMap ${input.configMapRef}: ${input.configError}`,
    });
  else if (input.configuredGeneration === effective.generation)
    conditions.push({
      type: ConditionType.Configured,
      status: 'True',
      reason: 'Rendered',
      message: `ConfigMap ${input.configMapRef} holds generation ${effective.generation} of this event.`,
    });
  else
    conditions.push({
      type: ConditionType.Configured,
      status: 'False',
      reason: 'Pending',
      message: `Generation ${effective.generation} is about to be written to ConfigMap ${input.configMapRef}.`,
    });

  if (effective) {
    conditions.push(
      stats === undefined
        ? {
            type: ConditionType.SoldOut,
            status: 'Unknown',
            reason: 'NoCounts',
            message: 'The gate has not reported counts for this event yet.',
          }
        : stats.soldOut
          ? {
              type: ConditionType.SoldOut,
              status: 'True',
              reason: 'AllIssued',
              message: 'Every coupon has been issued; shoppers still waiting learn SOLD_OUT.',
            }
          : {
              type: ConditionType.SoldOut,
              status: 'False',
              reason: 'StockRemaining',
              message: 'Coupons remain.',
            },
    );
    conditions.push({ type: OperatorConditionType.IssuerScaled, ...input.issuer });
    conditions.push(
      input.statsError
        ? {
            type: OperatorConditionType.CountsAvailable,
            status: 'False',
            reason: 'GateUnreachable',
            message: `${input.statsError}; the counts shown are the last known.`,
          }
        : {
            type: OperatorConditionType.CountsAvailable,
            status: 'True',
            reason: 'GateReported',
            message: 'The counts come from the gate.',
          },
    );
  }

  const status: CouponEventStatus = {
    observedGeneration: input.generation,
    phase,
    eventId: input.eventId,
    conditions: mergeConditions(input.previous?.conditions, conditions, input.generation, now),
  };
  if (effective) status.stock = effective.coupon.stock;
  const counts = stats
    ? {
        waiting: stats.waiting,
        processing: stats.processing,
        issued: stats.issued,
        remaining: stats.remaining,
      }
    : input.previous?.counts;
  if (counts) status.counts = counts;
  if (next !== undefined) status.nextTransitionAt = isoSeconds(new Date(next));
  return status;
}

/** Phases in which shoppers are in the queue or being served: counts move, so poll them. */
const livePhases = new Set<string>([Phase.PreQueue, Phase.Open, Phase.Paused, Phase.SoldOut]);

/**
 * When to look at the event again: at its next schedule change (so phases flip on time;
 * a few ms late rather than early), and every poll interval while counts move.
 */
export function requeueAfterMs(
  status: CouponEventStatus,
  now: Date,
  pollMs: number,
): number | undefined {
  const candidates: number[] = [];
  if (status.nextTransitionAt)
    candidates.push(Date.parse(status.nextTransitionAt) - now.getTime() + 25);
  const inFlight = (status.counts?.processing ?? 0) > 0;
  if (livePhases.has(status.phase ?? '') || (status.phase === Phase.Closed && inFlight))
    candidates.push(pollMs);
  return candidates.length ? Math.max(1, Math.min(...candidates)) : undefined;
}

export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

/** The Kubernetes Events a status change deserves: what changed, once. */
export function transitionEvents(
  previous: CouponEventStatus | undefined,
  next: CouponEventStatus,
): PlannedEvent[] {
  const events: PlannedEvent[] = [];
  const changed = (type: string) => {
    const a = findCondition(previous?.conditions, type);
    const b = findCondition(next.conditions, type);
    return b !== undefined &&
      (a?.status !== b.status || a.reason !== b.reason || a.message !== b.message)
      ? b
      : undefined;
  };
  const accepted = changed(ConditionType.Accepted);
  if (accepted?.status === 'False')
    events.push({
      type: 'Warning',
      reason: accepted.reason,
      action: 'Validate',
      note: accepted.message,
    });
  const configured = changed(ConditionType.Configured);
  const first = previous?.phase === undefined;
  if (configured?.status === 'True')
    events.push({
      type: 'Normal',
      reason: 'Configured',
      action: 'Render',
      // An event's first status says its phase here: one Event, not two, per new event.
      note: first ? `${configured.message} Phase is ${next.phase}.` : configured.message,
    });
  else if (configured?.reason === 'ConfigMapWriteFailed')
    events.push({
      type: 'Warning',
      reason: configured.reason,
      action: 'Render',
      note: configured.message,
    });
  if (
    previous?.phase !== next.phase &&
    next.phase !== Phase.Failed &&
    !(first && configured?.status === 'True')
  )
    events.push({
      type: 'Normal',
      reason: 'PhaseChanged',
      action: 'Reconcile',
      note: first
        ? `Phase is ${next.phase}.`
        : `Phase changed from ${previous?.phase} to ${next.phase}.`,
    });
  const soldOut = changed(ConditionType.SoldOut);
  if (soldOut?.status === 'True')
    events.push({ type: 'Normal', reason: 'SoldOut', action: 'Observe', note: soldOut.message });
  const issuer = changed(OperatorConditionType.IssuerScaled);
  if (issuer?.status === 'False')
    events.push({ type: 'Warning', reason: issuer.reason, action: 'Scale', note: issuer.message });
  const counts = changed(OperatorConditionType.CountsAvailable);
  if (counts?.status === 'False')
    events.push({
      type: 'Warning',
      reason: counts.reason,
      action: 'Observe',
      note: counts.message,
    });
  return events;
}
