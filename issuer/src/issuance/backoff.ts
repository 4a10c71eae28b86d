// Backoff and sleep are core's (shared with the operator); the issuer adds a short
// name for database and broker errors.
export { backoffDelay, sleep, type BackoffPolicy } from '@rediclaim/core';

/** A short name for a database or broker error, for metrics labels and logs. */
export function errorCode(error: unknown): string {
  const e = error as { code?: unknown; errno?: unknown; name?: unknown } | null;
  if (e && typeof e.code === 'string' && /^[A-Z0-9_]{2,64}$/.test(e.code)) return e.code;
  if (e && typeof e.name === 'string' && /^[A-Za-z0-9_]{2,64}$/.test(e.name)) return e.name;
  return 'UNKNOWN';
}
