/**
 * Capped exponential backoff with jitter: attempt 1 waits about `baseMs`, each later one
 * twice as long, never more than `capMs`. The jitter (a random 50-100% of the step)
 * keeps clients that failed together (every issuer after a database restart, every
 * watch after an API server restart, kubernetes-client/javascript#1933) from retrying
 * in lock-step.
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(step * (0.5 + random() * 0.5));
}

/** Resolves after `ms`, or at once when the signal aborts: a stopping loop never waits it out. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
