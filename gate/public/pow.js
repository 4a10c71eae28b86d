// Proof of work before a join, for events that ask for it (the event says proofOfWork):
// the gate's challenge solved by altcha-lib's own solver, in Web Workers (the library's
// v1 worker, served by the gate beside the page under altcha/), so the page stays
// responsive while the browser works; the solution goes in the join's X-Pow-Solution.

import { solveChallengeWorkers } from './altcha/index.js';

/** Workers in parallel: each tries its share of the numbers; more than 4 gains little here. */
const MAX_WORKERS = 4;
const WORKER_URL = new URL('./altcha/worker.js', import.meta.url);

/**
 * The X-Pow-Solution header for `challenge` (GET .../challenge's body), or undefined when
 * no worker found the number (a challenge that is not one, or workers refused).
 */
export async function solvePow(challenge) {
  const concurrency = Math.max(1, Math.min(MAX_WORKERS, navigator.hardwareConcurrency || 1));
  const solution = await solveChallengeWorkers(
    WORKER_URL,
    concurrency,
    challenge.challenge,
    challenge.salt,
    challenge.algorithm,
    challenge.maxnumber,
  );
  if (!solution) return undefined;
  const { algorithm, challenge: hash, salt, signature } = challenge;
  return window.btoa(
    JSON.stringify({ algorithm, challenge: hash, number: solution.number, salt, signature }),
  );
}
