/**
 * Exponential backoff with jitter: attempt 1 waits about `baseMs`, each later attempt
 * twice as long, never more than `capMs`. The jitter (a random 50-100% of the step)
 * keeps many clients that failed together (every watch after an API server restart)
 * from retrying in lock-step (kubernetes-client/javascript#1933).
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
  const step = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step * (0.5 + random() * 0.5));
}

/** Resolves after `ms`, or at once when the signal aborts (a stopping loop never waits it out). */
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
