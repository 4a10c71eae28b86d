import { createHash } from 'node:crypto';
import { solveChallenge } from 'altcha-lib/v1';

/** An ALTCHA (v1) challenge as the gate's GET /v1/events/{eventId}/challenge answers it. */
export interface PowChallengeJson {
  algorithm: string;
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

/**
 * How a client finds the number: `library` is altcha-lib's solveChallenge (WebCrypto,
 * one awaited digest per try, what the page's worker runs); `native` is a tight loop over
 * node:crypto, what a bot farm would write to pay as little as possible per join.
 */
export type PowSolverKind = 'library' | 'native';

/** The X-Pow-Solution header for a solved challenge: base64 of the ALTCHA payload. */
export function powSolutionHeader(challenge: PowChallengeJson, number: number): string {
  const { algorithm, challenge: hash, salt, signature } = challenge;
  return Buffer.from(
    JSON.stringify({ algorithm, challenge: hash, number, salt, signature }),
  ).toString('base64');
}

/** Finds the challenge's number (throws when it is not in 0..maxnumber: not a real challenge). */
export async function solvePow(
  challenge: PowChallengeJson,
  kind: PowSolverKind = 'native',
): Promise<number> {
  if (kind === 'library') {
    const { promise } = solveChallenge(
      challenge.challenge,
      challenge.salt,
      challenge.algorithm,
      challenge.maxnumber,
    );
    const solution = await promise;
    if (!solution) throw new Error('no number solves the challenge');
    return solution.number;
  }
  const target = Buffer.from(challenge.challenge, 'hex');
  for (let n = 0; n <= challenge.maxnumber; n++) {
    if (
      createHash('sha256')
        .update(challenge.salt + n)
        .digest()
        .equals(target)
    )
      return n;
  }
  throw new Error('no number solves the challenge');
}
