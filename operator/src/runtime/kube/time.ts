/**
 * A Kubernetes MicroTime ("2026-11-27T09:00:00.123456Z"). The API server parses these
 * fields (Lease renewTime, events.k8s.io eventTime) with exactly six fractional digits,
 * while the client serialises a Date with three and gets a 400: always pass this string.
 */
export function microTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Epoch ms of a time the API server returned (a string, or a Date the client made of it). */
export function timeOf(value: string | Date | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
