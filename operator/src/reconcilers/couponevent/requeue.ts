import { Phase, type CouponEventStatus } from '@rediclaim/core';

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
