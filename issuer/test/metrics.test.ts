import { describe, expect, it } from '@jest/globals';
import { IssuerMetrics } from '@rediclaim/issuer';
import { parseMetrics } from '@rediclaim/hack/testing';

describe("an event's metric series", () => {
  it('are dropped once the event was idle for the TTL, and come back with its next decision', async () => {
    let now = 0;
    const metrics = new IssuerMetrics({ eventSeriesTtlMs: 60_000, clock: () => now });
    const touch = (event: string) => {
      const labels = metrics.eventLabels('shop', event);
      metrics.decisions.inc({ ...labels, outcome: 'ISSUED' }, 3);
      metrics.couponsIssued.inc(labels, 3);
      metrics.remaining.set(labels, 7);
      metrics.redemptions.inc({ ...labels, operation: 'redeem', outcome: 'REDEEMED' });
    };
    const eventsIn = async () =>
      new Set(
        parseMetrics(await metrics.registry.metrics())
          .filter((s) => s.labels.tenant === 'shop')
          .map((s) => s.labels.event),
      );
    touch('over');
    touch('running');
    now = 50_000;
    touch('running');
    expect(await eventsIn()).toEqual(new Set(['over', 'running']));
    now = 61_000;
    // The scrape that finds 'over' idle drops it; the next one no longer lists it.
    await metrics.registry.metrics();
    expect(await eventsIn()).toEqual(new Set(['running']));
    touch('over');
    expect(await eventsIn()).toEqual(new Set(['over', 'running']));
  });
});
