/**
 * A short name for a database or broker error: metrics labels need a small, stable
 * set of values, and a driver's message (with host names, ids and numbers) is neither.
 */
export function errorCode(error: unknown): string {
  const e = error as { code?: unknown; errno?: unknown; name?: unknown } | null;
  if (e && typeof e.code === 'string' && /^[A-Z0-9_]{2,64}$/.test(e.code)) return e.code;
  if (e && typeof e.name === 'string' && /^[A-Za-z0-9_]{2,64}$/.test(e.name)) return e.name;
  return 'UNKNOWN';
}
