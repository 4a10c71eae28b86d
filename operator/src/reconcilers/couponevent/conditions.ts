import type { Condition } from '@rediclaim/core';

/** A condition as the reconciler states it; when it last changed is this module's business. */
export interface ConditionSpec {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  /** CamelCase, for machines and `kubectl get -o jsonpath`. */
  reason: string;
  /** A sentence for people. */
  message: string;
}

/**
 * The conditions to write: exactly `wanted`, in its order, each stamped with the
 * generation it was judged against. `lastTransitionTime` moves only when a condition's
 * status changes (API conventions): a new reason or message alone keeps the old time,
 * and an unchanged condition compares equal, so an idle reconcile writes nothing.
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  wanted: readonly ConditionSpec[],
  observedGeneration: number,
  now: Date,
): Condition[] {
  return wanted.map((spec) => {
    const before = previous?.find((c) => c.type === spec.type);
    const lastTransitionTime =
      before && before.status === spec.status ? before.lastTransitionTime : isoSeconds(now);
    return { ...spec, lastTransitionTime, observedGeneration };
  });
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Kubernetes metav1.Time: RFC 3339 with whole seconds. */
export function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
