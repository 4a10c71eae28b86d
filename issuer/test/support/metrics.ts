/** The value of a metric without labels in a Prometheus text page (NaN when absent). */
export function metricValue(page: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(page)?.[1] ?? NaN);
}
