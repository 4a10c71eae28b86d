import {
  ConditionType,
  Phase,
  eventPhase,
  nextScheduleChange,
  type CouponEventStatus,
  type EventConfig,
} from '@rediclaim/core';
import type { GateStats } from '../../gate-client.js';
import type { IssuerCondition } from '../platform/issuer-scale.js';
import type { Verdict } from './acceptance.js';
import { isoSeconds, mergeConditions, type ConditionSpec } from './conditions.js';

/** Condition types beyond core's three, about what this event depends on. */
export const OperatorConditionType = {
  /** The issuer Deployment is scaled for the open events (or could not be). */
  IssuerScaled: 'IssuerScaled',
  /**
   * While Open: the gates may admit at spec.admission.dispatchPerSecond (False: they admit
   * slower because issuance falls behind, or nobody new because Kafka is unreachable).
   */
  AdmittingAtRate: 'AdmittingAtRate',
  /** The live counts come from the gate now (False: the gate did not answer; counts are old). */
  CountsAvailable: 'CountsAvailable',
  /** Set while a deleted event waits for its cleanup. */
  CleanedUp: 'CleanedUp',
} as const;

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
  /** Why the event's ConfigMap shard has no room for it, when it has none. */
  configShardFull?: string | undefined;
  configMapRef: string;
  /** The gate's counts: fresh from this reconcile, or the last ones we had. */
  stats: GateStats | undefined;
  /** Why the gate did not answer this time. */
  statsError: string | undefined;
  issuer: IssuerCondition;
  previous: CouponEventStatus | undefined;
  now: Date;
}

/** Configured=False: the event's ConfigMap shard has no room for it. */
export const CONFIG_SHARD_FULL = 'ConfigShardFull';

/** The reason of Ready=True. */
export const READY_REASON = 'Configured';

/**
 * kstatus' summary of the conditions the operator judged, which Flux and Argo CD health
 * checks read. Ready=True once this generation is accepted, rendered into the gate
 * ConfigMap, and the issuer is scaled for it; otherwise False with the reason of the
 * first condition in the way. A refused spec is also Stalled (nothing changes until the
 * spec does); what the operator retries by itself is also Reconciling. Those two appear
 * only while True, as kstatus' abnormal-true conditions. Live counts (CountsAvailable)
 * are observations, not configuration: they do not make an event unready.
 */
export function readiness(generation: number, judged: readonly ConditionSpec[]): ConditionSpec[] {
  const find = (type: string) => judged.find((c) => c.type === type);
  const accepted = find(ConditionType.Accepted);
  if (accepted && accepted.status !== 'True')
    return [
      {
        type: ConditionType.Ready,
        status: 'False',
        reason: accepted.reason,
        message: accepted.message,
      },
      {
        type: ConditionType.Stalled,
        status: 'True',
        reason: accepted.reason,
        message: `Generation ${generation} is refused (see Accepted); nothing changes until the spec does.`,
      },
    ];
  const blocking = [find(ConditionType.Configured), find(OperatorConditionType.IssuerScaled)].find(
    (c) => c !== undefined && c.status !== 'True',
  );
  if (blocking)
    return [
      {
        type: ConditionType.Ready,
        status: 'False',
        reason: blocking.reason,
        message: blocking.message,
      },
      {
        type: ConditionType.Reconciling,
        status: 'True',
        reason: blocking.reason,
        message: `Generation ${generation} is accepted; the operator keeps working on ${blocking.type} (retried with backoff).`,
      },
    ];
  return [
    {
      type: ConditionType.Ready,
      status: 'True',
      reason: READY_REASON,
      message: `Generation ${generation} is in effect: accepted, in the gate config, and the issuer is scaled for it.`,
    },
  ];
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
  else if (input.configShardFull && input.configuredGeneration !== effective.generation)
    conditions.push({
      type: ConditionType.Configured,
      status: 'False',
      reason: CONFIG_SHARD_FULL,
      message: input.configShardFull,
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
    const admitting = admittingAtRate(phase, effective, stats);
    if (admitting) conditions.push(admitting);
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
    conditions: mergeConditions(
      input.previous?.conditions,
      [...readiness(input.generation, conditions), ...conditions],
      input.generation,
      now,
    ),
  };
  if (effective) status.stock = effective.coupon.stock;
  const counts = stats
    ? {
        waiting: stats.waiting,
        processing: stats.processing,
        issued: stats.issued,
        remaining: stats.remaining,
        // Gates before redemptions do not report it: absent, not 0.
        ...(stats.redeemed !== undefined ? { redeemed: stats.redeemed } : {}),
      }
    : input.previous?.counts;
  if (counts) status.counts = counts;
  if (phase === Phase.Open && stats?.backpressure)
    status.admission = {
      configuredPerSecond: effective!.admission.dispatchPerSecond,
      allowedPerSecond: Math.round(stats.backpressure.allowedPerSecond),
      observedPerSecond: Math.round(stats.admissionRate ?? 0),
    };
  if (next !== undefined) status.nextTransitionAt = isoSeconds(new Date(next));
  return status;
}

/** Admission held back below the configured rate because issuance falls behind. */
export const ISSUANCE_BEHIND = 'IssuanceBehind';

/**
 * Whether the gates may admit at the configured rate. Judged from gates that report
 * backpressure (older ones do not: no condition). The message names no live numbers
 * (status.admission has them), so a slowed sale does not rewrite it at every reconcile.
 */
function admittingAtRate(
  phase: Phase,
  effective: EventConfig,
  stats: GateStats | undefined,
): ConditionSpec | undefined {
  if (!stats?.backpressure) return undefined;
  const rate = effective.admission.dispatchPerSecond;
  const type = OperatorConditionType.AdmittingAtRate;
  if (phase !== Phase.Open)
    return {
      type,
      status: 'True',
      reason: 'NotAdmitting',
      message: `Nobody new is admitted in phase ${phase}; nothing holds admission back.`,
    };
  if (stats.admission?.paused)
    return {
      type,
      status: 'False',
      reason: stats.admission.reason ?? 'AdmissionPaused',
      message: stats.admission.message ?? 'A gate admits nobody new for now.',
    };
  if (stats.backpressure.slowed)
    return {
      type,
      status: 'False',
      reason: ISSUANCE_BEHIND,
      message: `The gates admit below the configured ${rate}/s (status.admission.allowedPerSecond) because admitted shoppers wait too long for their outcome: the issuer, its consumer or the results path falls behind. The rate returns by itself as issuance catches up.`,
    };
  return {
    type,
    status: 'True',
    reason: 'ConfiguredRate',
    message: `The gates may admit at the configured ${rate}/s: issuance keeps up.`,
  };
}
