/**
 * Conversions between values and SQL text for the ledger. Its multi-row statements are
 * built by hand, not with placeholders: mysql2 scanning a statement of thousands of rows
 * for them would cost more than building it.
 */

/** MariaDB's JSON is LONGTEXT: depending on the driver and server it arrives as text or parsed. */
export function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** Lists of at most `size`: one statement or lookup each. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A whole number as SQL; anything else is a bug, never data to interpolate. */
export function integer(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`not an integer: ${String(value)}`);
  return String(value);
}

/** 'YYYY-MM-DD HH:MM:SS.mmm' in UTC, as DATETIME(3) stores it (the pool runs in UTC). */
export function sqlDateTime(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}

/**
 * Serialises each distinct value once: a batch's coupons share one discount object and
 * the same three instants, and formatting them per row is most of a statement's cost.
 */
export function memo<K, V>(convert: (key: K) => V): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = convert(key);
      cache.set(key, value);
    }
    return value;
  };
}
