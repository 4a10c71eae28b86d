import { describe, expect, it } from '@jest/globals';
import { eventConfigSchema } from '@rediclaim/core';
import { GateMetrics, LiveEvent } from '@rediclaim/gate';
import { eventConfig, type EventOptions } from '../support/events.js';
import { parseMetrics, samplesOf, valueOf } from '@rediclaim/hack/testing';
import { PER_EVENT_METRICS } from '../support/per-event-metrics.js';

const live = (id: string, o: EventOptions = {}) =>
  new LiveEvent(eventConfigSchema.parse(eventConfig(id, { tenant: 'shop', ...o })));
const scrape = async (m: GateMetrics) => parseMetrics(await m.registry.metrics());

/** Every sample naming the event, whatever the metric. */
const seriesOf = async (m: GateMetrics, tenant: string, event: string) =>
  (await scrape(m)).filter((s) => s.labels.tenant === tenant && s.labels.event === event);

describe('the gate metrics (registry)', () => {
  it("follows the config: one series of each configured gauge per event, from the config's values", async () => {
    const m = new GateMetrics({ defaultMetrics: false });
    m.applyConfig([live('a', { rate: 25, stock: 300 }), live('later', { opensInMs: 60_000 })]);
    const s = await scrape(m);
    const a = { tenant: 'shop', event: 'a' };
    expect(valueOf(s, 'rediclaim_gate_admission_rate_limit', a)).toBe(25);
    expect(valueOf(s, 'rediclaim_gate_event_stock', a)).toBe(300);
    expect(valueOf(s, 'rediclaim_gate_event_open', a)).toBe(1);
    expect(valueOf(s, 'rediclaim_gate_event_open', { event: 'later' })).toBe(0);
    expect(valueOf(s, 'rediclaim_gate_admitted_total', a)).toBe(0);
    expect(valueOf(s, 'rediclaim_gate_requeued_total', { ...a, reason: 'timeout' })).toBe(0);
    expect(valueOf(s, 'rediclaim_gate_requeued_total', { ...a, reason: 'send_failed' })).toBe(0);
    expect(samplesOf(s, 'rediclaim_gate_event_stock')).toHaveLength(2);
    expect(valueOf(s, 'rediclaim_gate_admission_allowed_rate', a)).toBe(25);
    expect(valueOf(s, 'rediclaim_gate_admission_overdue', a)).toBe(0);
    expect(valueOf(s, 'rediclaim_gate_admission_slowdowns_total', a)).toBe(0);
  });

  it('shows what backpressure allows as shoppers per second, and keeps it when the config is applied again', async () => {
    const m = new GateMetrics({ defaultMetrics: false });
    const e = live('slow', { rate: 2000 });
    m.applyConfig([e]);
    m.sawDispatch(e, {
      waiting: 9,
      processing: 900,
      oldestAgeMs: 4200,
      allowed: 0.25,
      overdue: 700,
    });
    m.countSlowdown(e);
    m.applyConfig([e]);
    const s = await scrape(m);
    const labels = { tenant: 'shop', event: 'slow' };
    expect(valueOf(s, 'rediclaim_gate_admission_allowed_rate', labels)).toBe(500);
    expect(valueOf(s, 'rediclaim_gate_admission_rate_limit', labels)).toBe(2000);
    expect(valueOf(s, 'rediclaim_gate_admission_overdue', labels)).toBe(700);
    expect(valueOf(s, 'rediclaim_gate_admission_slowdowns_total', labels)).toBe(1);
  });

  it('removes every series of an event that leaves the config, and of its former tenant when it moves', async () => {
    const m = new GateMetrics({ defaultMetrics: false });
    const gone = live('gone');
    const kept = live('kept');
    m.applyConfig([gone, kept]);
    for (const e of [gone, kept]) {
      m.sawDispatch(e, { waiting: 3, processing: 2, oldestAgeMs: 1500, allowed: 0.5, overdue: 4 });
      m.countSlowdown(e);
      m.countAdmitted(e, 2);
      m.countRequeued(e, 'timeout', 1);
      m.countRequeued(e, 'send_failed', 1);
      m.countResult(e.tenant, e.id, 'ISSUED');
      m.countResult(e.tenant, e.id, 'SOLD_OUT');
      m.countJoin(e, 'ENQUEUED');
    }
    const before = await seriesOf(m, 'shop', 'gone');
    expect(new Set(before.map((s) => s.name))).toEqual(new Set(PER_EVENT_METRICS));
    m.applyConfig([kept, live('gone', { tenant: 'other' })]);
    expect(await seriesOf(m, 'shop', 'gone')).toEqual([]);
    expect((await seriesOf(m, 'shop', 'kept')).length).toBe(before.length);
    m.applyConfig([]);
    expect((await scrape(m)).filter((s) => 'event' in s.labels && s.labels.event !== '')).toEqual(
      [],
    );
  });

  it('counts joins and results of events the config does not have under tenant="", event=""', async () => {
    const m = new GateMetrics({ defaultMetrics: false });
    const known = live('known');
    m.applyConfig([known]);
    m.countJoin(undefined, 'UNKNOWN_EVENT');
    m.countJoin({ tenant: 'evil', id: 'x'.repeat(60) }, 'ENQUEUED');
    m.countJoin(known, 'ENQUEUED');
    m.countResult('shop', 'forgotten', 'ISSUED');
    const s = await scrape(m);
    const unknown = { tenant: '', event: '' };
    expect(valueOf(s, 'rediclaim_gate_joins_total', { ...unknown, answer: 'UNKNOWN_EVENT' })).toBe(
      1,
    );
    expect(valueOf(s, 'rediclaim_gate_joins_total', { ...unknown, answer: 'ENQUEUED' })).toBe(1);
    expect(
      valueOf(s, 'rediclaim_gate_joins_total', {
        tenant: 'shop',
        event: 'known',
        answer: 'ENQUEUED',
      }),
    ).toBe(1);
    expect(valueOf(s, 'rediclaim_gate_results_total', { ...unknown, outcome: 'ISSUED' })).toBe(1);
    expect(s.filter((x) => x.labels.tenant === 'evil' || x.labels.event === 'forgotten')).toEqual(
      [],
    );
  });

  it('counts nothing under the labels of an event removed while its dispatch or join was under way', async () => {
    const m = new GateMetrics({ defaultMetrics: false });
    const late = live('late');
    m.applyConfig([late]);
    m.applyConfig([]);
    m.sawDispatch(late, { waiting: 1, processing: 1, oldestAgeMs: 10, allowed: 1, overdue: 0 });
    m.countSlowdown(late);
    m.countAdmitted(late, 1);
    m.countRequeued(late, 'timeout', 1);
    m.countJoin(late, 'ENQUEUED');
    expect(await seriesOf(m, 'shop', 'late')).toEqual([]);
  });

  it('starts the counters whose label values are known at 0', async () => {
    const m = new GateMetrics({ defaultMetrics: false });
    m.limitRoute('join');
    const s = await scrape(m);
    for (const cause of ['eventLoopDelay', 'heapUsedBytes', 'rssBytes'])
      expect(valueOf(s, 'rediclaim_gate_shed_total', { cause })).toBe(0);
    for (const reason of ['duplicate', 'deleted', 'invalid'])
      expect(valueOf(s, 'rediclaim_gate_results_ignored_total', { reason })).toBe(0);
    expect(valueOf(s, 'rediclaim_gate_admission_paused', { cause: 'kafka_unavailable' })).toBe(0);
    expect(valueOf(s, 'rediclaim_gate_rate_limited_total', { route: 'join' })).toBe(0);
    // A limit not in force has no series.
    expect(valueOf(s, 'rediclaim_gate_rate_limited_total', { route: 'poll' })).toBeUndefined();
  });

  it('reads event_open from the clock at each scrape: the schedule, not the config, opens an event', async () => {
    let now = Date.now();
    const m = new GateMetrics({ defaultMetrics: false, clock: () => now });
    m.applyConfig([live('soon', { opensInMs: 60_000 }), live('held', { mode: 'paused' })]);
    expect(valueOf(await scrape(m), 'rediclaim_gate_event_open', { event: 'soon' })).toBe(0);
    now += 120_000;
    const s = await scrape(m);
    expect(valueOf(s, 'rediclaim_gate_event_open', { event: 'soon' })).toBe(1);
    expect(valueOf(s, 'rediclaim_gate_event_open', { event: 'held' })).toBe(0);
  });
});
