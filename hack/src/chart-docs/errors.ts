/** A mistake in the chart's values.yaml, README.md or values.schema.json, said for people. */
export class ChartDocsError extends Error {
  override name = 'ChartDocsError';
}
