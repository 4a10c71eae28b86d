// Reads the operator's metrics as Prometheus scrapes them: the text exposition of its
// registry, parsed by the test kit's parser.
import type { Registry } from 'prom-client';
import { parseMetrics, type Sample } from '@rediclaim/hack/testing';

export { samplesOf as select, valueOf, type Sample } from '@rediclaim/hack/testing';

/** A scrape of `registry`. */
export async function scrape(registry: Registry): Promise<Sample[]> {
  return parseMetrics(await registry.metrics());
}
