import { describe, expect, it } from '@jest/globals';
import { histogramQuantile, parseMetrics } from '@rediclaim/hack/testing';

const histogram = (buckets: [string, number][]) =>
  parseMetrics(
    buckets.map(([le, n]) => `lag_seconds_bucket{le="${le}"} ${n}`).join('\n') +
      `\nlag_seconds_count ${buckets.at(-1)![1]}\n`,
  );

describe("a histogram's quantile from its buckets", () => {
  it('interpolates within the bucket the rank falls in, as histogram_quantile does', () => {
    const samples = histogram([
      ['0.1', 50],
      ['0.5', 90],
      ['1', 100],
      ['+Inf', 100],
    ]);
    expect(histogramQuantile(samples, 'lag_seconds', 0.5)).toBeCloseTo(0.1);
    expect(histogramQuantile(samples, 'lag_seconds', 0.7)).toBeCloseTo(0.3);
    expect(histogramQuantile(samples, 'lag_seconds', 0.99)).toBeCloseTo(0.95);
  });

  it('answers the highest finite bound for ranks in +Inf, nothing without observations', () => {
    expect(
      histogramQuantile(
        histogram([
          ['1', 1],
          ['+Inf', 10],
        ]),
        'lag_seconds',
        0.9,
      ),
    ).toBe(1);
    expect(histogramQuantile(histogram([['+Inf', 0]]), 'lag_seconds', 0.5)).toBeUndefined();
  });
});
