import { randomBytes } from 'node:crypto';
import { createChallenge, extractParams, verifySolution } from 'altcha-lib/v1';
import {
  ErrorCode,
  RediclaimError,
  powReplayTtlMs,
  powSpikeArgs,
  type ProofOfWork,
} from '@rediclaim/core';
import type { LiveEvent } from '../config/live-event.js';
import type { GateScripts } from '../redis/gate-scripts.js';
import type { PowDifficulty } from './difficulty.js';
import { parseSolutionHeader, POW_HEADER } from './solution-header.js';

/** What a join's proof of work came to (rediclaim_gate_pow_solutions_total's result). */
export type PowResult =
  'accepted' | 'missing' | 'malformed' | 'expired' | 'invalid' | 'other_event' | 'replayed';
export const POW_RESULTS: readonly PowResult[] = [
  'accepted',
  'missing',
  'malformed',
  'expired',
  'invalid',
  'other_event',
  'replayed',
];

export interface PowMetrics {
  countPowChallenge(event: LiveEvent, difficulty: number): void;
  countPowSolution(event: LiveEvent, result: PowResult): void;
}

/** An ALTCHA (v1) challenge as GET /v1/events/{eventId}/challenge answers it. */
export interface PowChallenge {
  algorithm: string;
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
  /** When it must have been used (epoch seconds; also in the salt as `expires`). */
  expiresAt: number;
}

export interface PowGuardOptions {
  /** The HMAC key challenges are signed with; undefined: a random one (this replica only). */
  key: string | undefined;
  /** Former keys: their challenges still verify until they expire (rotation). */
  previousKeys?: readonly string[];
  /** Epoch ms (default Date.now): expiry is wall-clock time on every replica. */
  clock?: () => number;
}

/**
 * Proof of work on join, with altcha-lib's v1 challenges (SHA-256 of salt + number, the
 * challenge HMAC-signed): issued by any replica, verified by any replica holding the
 * key (nothing is stored per challenge until it is used), and spent once in Redis
 * (spendPow.lua: SET NX until it expires), so one solution is one join. The salt's
 * signed parameters bind it to the event's sale and carry its expiry.
 */
export class PowGuard {
  readonly ephemeral: boolean;
  private readonly keys: readonly string[];
  private readonly clock: () => number;

  constructor(
    private readonly scripts: Pick<GateScripts, 'spendPow'>,
    private readonly difficulty: PowDifficulty,
    private readonly metrics: PowMetrics,
    options: PowGuardOptions,
  ) {
    this.ephemeral = options.key === undefined;
    this.keys = [options.key ?? randomBytes(32).toString('hex'), ...(options.previousKeys ?? [])];
    this.clock = options.clock ?? Date.now;
  }

  static required(event: LiveEvent): boolean {
    return event.config.admission.proofOfWork.enabled;
  }

  /** A new challenge for the event, at the difficulty it asks for now. */
  async challenge(event: LiveEvent): Promise<PowChallenge> {
    const pow = this.powOf(event);
    const difficulty = await this.difficulty.of(event);
    const expiresAt = Math.floor(this.clock() / 1000) + pow.challengeTtlSeconds;
    const challenge = await createChallenge({
      algorithm: 'SHA-256',
      hmacKey: this.keys[0]!,
      maxnumber: difficulty,
      expires: new Date(expiresAt * 1000),
      params: { event: event.id, sale: event.uid },
    });
    this.metrics.countPowChallenge(event, difficulty);
    return { ...challenge, maxnumber: difficulty, expiresAt };
  }

  /**
   * Lets a join through when the event needs no proof of work, or when `header` holds a
   * solution of one of its challenges not used before (and spends it); otherwise throws
   * POW_REQUIRED (428), VALIDATION_FAILED (400), POW_INVALID (403) or POW_REPLAYED (403).
   */
  async admit(event: LiveEvent, header: string | string[] | undefined): Promise<void> {
    if (!PowGuard.required(event)) return;
    const refuse = (result: PowResult, error: RediclaimError): never => {
      this.metrics.countPowSolution(event, result);
      throw error;
    };
    const challengeUrl = `/v1/events/${event.id}/challenge`;
    if (header === undefined || header === '' || Array.isArray(header))
      refuse(
        'missing',
        new RediclaimError(
          ErrorCode.PowRequired,
          `this event asks for proof of work: solve a challenge from GET ${challengeUrl} and send it in the ${POW_HEADER} header`,
          { challenge: challengeUrl, header: POW_HEADER },
        ),
      );
    let payload;
    try {
      payload = parseSolutionHeader(header as string);
    } catch (error) {
      return refuse('malformed', error as RediclaimError);
    }
    const invalid = (result: PowResult, reason: string) =>
      refuse(
        result,
        new RediclaimError(
          ErrorCode.PowInvalid,
          `the proof of work ${reason}: solve a new challenge from GET ${challengeUrl}`,
          { reason: result, challenge: challengeUrl },
        ),
      );
    const params = extractParams(payload);
    const expires = Number(params.expires);
    const now = this.clock();
    if (!Number.isSafeInteger(expires)) return invalid('invalid', 'is not one of this gate');
    // Checked before the signature, to say "expired" rather than "invalid": an expiry
    // that was tampered with fails the signature below anyway.
    if (expires * 1000 < now) return invalid('expired', 'has expired');
    if (!(await this.verifies(payload))) return invalid('invalid', 'does not verify');
    if (params.event !== event.id || params.sale !== event.uid)
      return invalid('other_event', 'was issued for another event');
    const { threshold, holdMs } = powSpikeArgs(this.powOf(event));
    const spend = await this.scripts.spendPow(event.keys, {
      signature: payload.signature,
      ttlMs: powReplayTtlMs(expires, now),
      threshold,
      holdMs,
    });
    if (threshold > 0) this.difficulty.note(event, spend.spiking);
    if (!spend.spent)
      refuse(
        'replayed',
        new RediclaimError(
          ErrorCode.PowReplayed,
          `this proof of work was used already: each solution joins once; solve a new challenge from GET ${challengeUrl}`,
          { challenge: challengeUrl },
        ),
      );
    this.metrics.countPowSolution(event, 'accepted');
  }

  private async verifies(payload: Parameters<typeof verifySolution>[0]): Promise<boolean> {
    for (const key of this.keys) if (await verifySolution(payload, key, false)) return true;
    return false;
  }

  private powOf(event: LiveEvent): ProofOfWork {
    return event.config.admission.proofOfWork;
  }
}
