import type { IssuerScaling } from '../couponevent/spec.js';

export interface ReplicaBounds {
  minReplicas: number;
  maxReplicas: number;
}

/**
 * Issuer replicas for the events now admitting shoppers: each needs its rate divided
 * by what one replica sustains, within its own hints; the sum is clamped to the
 * platform's bounds (the chart's values). No open events: the platform minimum.
 */
export function desiredIssuerReplicas(
  openEvents: readonly { dispatchPerSecond: number; issuer: IssuerScaling }[],
  bounds: ReplicaBounds,
): number {
  let total = 0;
  for (const event of openEvents) {
    const need = Math.ceil(event.dispatchPerSecond / event.issuer.perReplicaThroughput);
    total += Math.min(event.issuer.maxReplicas, Math.max(event.issuer.minReplicas, need));
  }
  return Math.min(bounds.maxReplicas, Math.max(bounds.minReplicas, total));
}
