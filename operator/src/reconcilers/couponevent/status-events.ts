import { ConditionType, Phase, type CouponEventStatus } from '@rediclaim/core';
import { findCondition } from './conditions.js';
import { CONFIG_SHARD_FULL, ISSUANCE_BEHIND, OperatorConditionType } from './status.js';

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
  else if (
    configured?.reason === 'ConfigMapWriteFailed' ||
    configured?.reason === CONFIG_SHARD_FULL
  )
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
  const admitting = changed(OperatorConditionType.AdmittingAtRate);
  const wasSlowed =
    findCondition(previous?.conditions, OperatorConditionType.AdmittingAtRate)?.reason ===
    ISSUANCE_BEHIND;
  if (admitting?.reason === ISSUANCE_BEHIND)
    events.push({
      type: 'Warning',
      reason: 'AdmissionSlowed',
      action: 'Observe',
      note: admitting.message,
    });
  else if (admitting?.status === 'True' && wasSlowed)
    events.push({
      type: 'Normal',
      reason: 'AdmissionRecovered',
      action: 'Observe',
      note: admitting.message,
    });
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
