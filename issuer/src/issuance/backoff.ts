/**
 * Capped exponential backoff with jitter: attempt 1 waits about `baseMs`, each later one
 * twice as long, never more than `capMs`. The jitter (a random 50-100% of the step)
 * keeps replicas that failed together (a database restart) from retrying in lock-step.
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

/** Resolves after `ms`, or at once when the signal aborts. */
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

/** A short name for a database or broker error, for metrics labels and logs. */
export function errorCode(error: unknown): string {
  const e = error as { code?: unknown; errno?: unknown; name?: unknown } | null;
  if (e && typeof e.code === 'string' && /^[A-Z0-9_]{2,64}$/.test(e.code)) return e.code;
  if (e && typeof e.name === 'string' && /^[A-Za-z0-9_]{2,64}$/.test(e.name)) return e.name;
  return 'UNKNOWN';
}
