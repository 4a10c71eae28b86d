import { setTimeout as delay } from 'node:timers/promises';

/**
 * How long to wait before retry number `attempt` (1 for the first) of something that
 * failed. Given by the caller, so the machinery here holds no policy of its own.
 */
export type Backoff = (attempt: number) => number;

/** Resolves after `ms`, or at once when `signal` aborts: a stopping loop never waits it out. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
