import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { LatencyHistogram } from '@rediclaim/gate';

describe('request latency histogram', () => {
  it('renders cumulative buckets, sum and count in the Prometheus text format', async () => {
    const registry = new Registry();
    const h = new LatencyHistogram('t_seconds', 'test', [0.001, 0.005], registry);
    h.observe('GET', '/a', 200, 0.0005);
    h.observe('GET', '/a', 200, 0.003);
    h.observe('GET', '/a', 200, 5);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE t_seconds histogram');
    expect(text).toContain(
      't_seconds_bucket{method="GET",route="/a",status_code="200",le="0.001"} 1',
    );
    expect(text).toContain(
      't_seconds_bucket{method="GET",route="/a",status_code="200",le="0.005"} 2',
    );
    expect(text).toContain(
      't_seconds_bucket{method="GET",route="/a",status_code="200",le="+Inf"} 3',
    );
    expect(text).toContain('t_seconds_count{method="GET",route="/a",status_code="200"} 3');
    expect(text).toMatch(/t_seconds_sum\{method="GET",route="\/a",status_code="200"\} 5\.0035/);
  });
});
