import type { ProofOfWork } from '../couponevent/spec.js';

/**
 * The difficulty (ALTCHA maxnumber) of the challenges an event issues now: its base
 * difficulty, or the spike's while a join spike lasts. Every gate replica reads the
 * same spike flag from Redis, so every replica issues the same difficulty.
 */
export function powDifficulty(pow: ProofOfWork, spiking: boolean): number {
  return spiking && pow.spike ? pow.spike.difficulty : pow.difficulty;
}

/**
 * spendPow.lua's spike arguments: solved joins in one second that start a spike (0:
 * the event has no spike rule), and how long it lasts after the last such second.
 */
export function powSpikeArgs(pow: ProofOfWork): { threshold: number; holdMs: number } {
  return pow.spike
    ? { threshold: pow.spike.joinsPerSecond, holdMs: pow.spike.holdSeconds * 1000 }
    : { threshold: 0, holdMs: 0 };
}

/**
 * How long a spent solution must stay remembered: until its challenge expires, plus
 * the clock skew tolerated between the replica that issued it and the one verifying it
 * (a replica whose clock lags would still accept it a little longer).
 */
export function powReplayTtlMs(expiresAtSeconds: number, now: number, skewMs = 30_000): number {
  return Math.max(1, expiresAtSeconds * 1000 - now + skewMs);
}
