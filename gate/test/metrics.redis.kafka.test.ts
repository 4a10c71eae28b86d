import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GATE_ADMIN_PREFIX } from '@rediclaim/core';
import {
  parseMetrics,
  samplesOf,
  uniqueName,
  valueOf,
  waitFor,
  type Sample,
} from '@rediclaim/hack/testing';
import { SuiteEvents } from './support/suite-events.js';
import {
  gateEnv,
  startGate,
  suiteTopics,
  type InProcessGate,
  type Topics,
} from './support/harness.js';
import { IssuerSim } from './support/issuer-sim.js';
import { shopperApi } from './support/shoppers.js';
import { PER_EVENT_METRICS } from './support/per-event-metrics.js';

/**
 * The gate's /metrics (admin port) as Prometheus scrapes it, from a gate in this process
 * on the test stack's real Redis and Kafka, the issuer simulated over Kafka: the labels
 * dashboards and alerts select on (tenant, event), the series the config defines, the
 * counters that start at 0, and no series for events the gate does not have.
 */
const TENANT = 'metrics-shop';
const ids = {
  open: uniqueName('open'),
  silent: uniqueName('silent'),
  future: uniqueName('future'),
  paused: uniqueName('paused'),
  closed: uniqueName('closed'),
  dropped: uniqueName('dropped'),
};
const labels = (id: string) => ({ tenant: TENANT, event: id });

let topics: Topics;
let sim: IssuerSim;
let g: InProcessGate;
/** The gate's schedule clock runs this far ahead of the wall clock. */
let clockOffsetMs = 0;
const events = new SuiteEvents(TENANT);
const { join, untilStatus } = shopperApi(() => g.http);

async function scrape(gate: InProcessGate = g): Promise<Sample[]> {
  const res = await gate.admin({ url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return parseMetrics(res.body);
}

/** Every sample that names the event, whatever the metric. */
const seriesOf = (samples: Sample[], id: string) =>
  samples.filter((s) => Object.values(s.labels).some((v) => v.includes(id)));

beforeAll(async () => {
  topics = await suiteTopics('metrics');
  events.define(ids.open, { rate: 200, stock: 1_000 });
  events.define(ids.silent, { rate: 200, processingTimeoutSeconds: 5 });
  events.define(ids.future, { rate: 7, stock: 42, opensInMs: 3_600_000 });
  events.define(ids.paused, { mode: 'paused', rate: 9, stock: 11 });
  events.define(ids.closed, { opensInMs: -7_200_000, closesInMs: -3_600_000 });
  events.define(ids.dropped, { rate: 200 });
  sim = new IssuerSim(topics, { kind: 'issue' });
  sim.set(ids.silent, { kind: 'silent' });
  await sim.start();
  g = await startGate(
    gateEnv(topics, {
      EVENTS_FILE: events.path(),
      DISPATCH_INTERVAL_MS: '20',
      REQUEUE_INTERVAL_MS: '200',
    }),
    { clock: () => Date.now() + clockOffsetMs },
  );
  for (const user of ['a', 'b', 'c', 'd', 'e'])
    expect((await join(ids.open, user)).statusCode).toBe(201);
  for (const user of ['x', 'y']) await join(ids.silent, user);
  for (const user of ['p', 'q']) await join(ids.dropped, user);
  await untilStatus(ids.open, 'e', 'ISSUED');
  await untilStatus(ids.dropped, 'q', 'ISSUED');
  await untilStatus(ids.silent, 'y', 'PROCESSING');
});

afterAll(async () => {
  await g?.stop();
  await sim?.stop();
  await events.remove();
});

describe('per-event series', () => {
  it('are labelled tenant and event (the id alone), as the issuer labels its own', async () => {
    const s = await scrape();
    const open = labels(ids.open);
    expect(valueOf(s, 'rediclaim_gate_queue_length', open)).toBe(0);
    expect(valueOf(s, 'rediclaim_gate_processing', open)).toBe(0);
    expect(valueOf(s, 'rediclaim_gate_admitted_total', open)).toBe(5);
    expect(valueOf(s, 'rediclaim_gate_results_total', { ...open, outcome: 'ISSUED' })).toBe(5);
    expect(valueOf(s, 'rediclaim_gate_joins_total', { ...open, answer: 'ENQUEUED' })).toBe(5);
    expect(valueOf(s, 'rediclaim_gate_processing', labels(ids.silent))).toBe(2);
    // Nothing is labelled the old way, event="<tenant>/<id>".
    expect(s.filter((x) => x.labels.event?.includes('/'))).toEqual([]);
    for (const x of s.filter((x) => 'event' in x.labels)) expect(x.labels).toHaveProperty('tenant');
  });

  it('give each configured event its admission rate, stock, and whether its schedule admits now', async () => {
    const s = await scrape();
    const expected: [string, number, number, number][] = [
      [ids.open, 200, 1_000, 1],
      [ids.future, 7, 42, 0],
      [ids.paused, 9, 11, 0],
      [ids.closed, 100, 1_000, 0],
    ];
    for (const [id, rate, stock, open] of expected) {
      expect(valueOf(s, 'rediclaim_gate_admission_rate_limit', labels(id))).toBe(rate);
      expect(valueOf(s, 'rediclaim_gate_event_stock', labels(id))).toBe(stock);
      expect(valueOf(s, 'rediclaim_gate_event_open', labels(id))).toBe(open);
      // Configured, so counted from 0 even before anyone was admitted.
      expect(valueOf(s, 'rediclaim_gate_admitted_total', labels(id))).toBeGreaterThanOrEqual(0);
    }
    expect(samplesOf(s, 'rediclaim_gate_event_stock', { tenant: TENANT })).toHaveLength(6);
  });

  it('age the oldest shopper PROCESSING from their admission, past the timeout and its re-send', async () => {
    const silent = labels(ids.silent);
    const first = valueOf(await scrape(), 'rediclaim_gate_processing_oldest_seconds', silent)!;
    expect(first).toBeGreaterThan(0);
    await waitFor(
      'the silent issuer to time out and the gate to send again',
      async () =>
        (valueOf(await scrape(), 'rediclaim_gate_requeued_total', {
          ...silent,
          reason: 'timeout',
        }) ?? 0) >= 2,
      15_000,
    );
    // Sent again, yet still waiting since their admission: the age goes on past the timeout.
    await waitFor('a dispatch after the re-send', async () => {
      const s = await scrape();
      return (valueOf(s, 'rediclaim_gate_processing_oldest_seconds', silent) ?? 0) > 5.2;
    });
    const s = await scrape();
    expect(valueOf(s, 'rediclaim_gate_processing', silent)).toBe(2);
    expect(valueOf(s, 'rediclaim_gate_processing_oldest_seconds', labels(ids.open))).toBe(0);
  });
});

describe('bounded labels', () => {
  it('count joins of events the gate does not have under tenant="", event="", with no series of their own', async () => {
    const stranger = uniqueName('no-such-event');
    const res = await join(stranger, 'mallory');
    expect([res.statusCode, res.json().code]).toEqual([404, 'UNKNOWN_EVENT']);
    const seed = await g.http({ method: 'POST', url: `/gate/events/${stranger}/enqueue?userId=m` });
    expect(seed.statusCode).toBe(404);
    const s = await scrape();
    expect(
      valueOf(s, 'rediclaim_gate_joins_total', { tenant: '', event: '', answer: 'UNKNOWN_EVENT' }),
    ).toBeGreaterThanOrEqual(2);
    expect(seriesOf(s, stranger)).toEqual([]);
  });
});

describe('counters known in advance', () => {
  it('start at 0: shed by cause, ignored results by reason, admission paused', async () => {
    const s = await scrape();
    for (const cause of ['eventLoopDelay', 'heapUsedBytes', 'rssBytes'])
      expect(valueOf(s, 'rediclaim_gate_shed_total', { cause })).toBe(0);
    for (const reason of ['duplicate', 'deleted', 'invalid'])
      expect(valueOf(s, 'rediclaim_gate_results_ignored_total', { reason })).toBeGreaterThanOrEqual(
        0,
      );
    expect(valueOf(s, 'rediclaim_gate_admission_paused', { cause: 'kafka_unavailable' })).toBe(0);
    // This gate has no rate limits: nothing is limited, no series.
    expect(samplesOf(s, 'rediclaim_gate_rate_limited_total')).toEqual([]);
  });

  it('count the 429s of each rate limit in force by route, from 0', async () => {
    const limited = await startGate(
      gateEnv(topics, {
        EVENTS_FILE: events.path(),
        ENQUEUE_RATE_LIMIT_MAX: '2',
        ENQUEUE_RATE_LIMIT_WINDOW_MS: '60000',
        POLL_RATE_LIMIT_MAX: '2',
        POLL_RATE_LIMIT_WINDOW_MS: '60000',
      }),
      { background: false },
    );
    try {
      const fresh = await scrape(limited);
      expect(valueOf(fresh, 'rediclaim_gate_rate_limited_total', { route: 'join' })).toBe(0);
      expect(valueOf(fresh, 'rediclaim_gate_rate_limited_total', { route: 'poll' })).toBe(0);
      for (const reason of ['duplicate', 'deleted', 'invalid'])
        expect(valueOf(fresh, 'rediclaim_gate_results_ignored_total', { reason })).toBe(0);
      const joins = [];
      for (const user of ['r1', 'r2', 'r3', 'r4'])
        joins.push(
          (
            await limited.http({
              method: 'POST',
              url: `/v1/events/${ids.paused}/queue?userId=${user}`,
            })
          ).statusCode,
        );
      expect(joins).toEqual([201, 201, 429, 429]);
      const polls = [];
      for (let i = 0; i < 3; i++)
        polls.push(
          (await limited.http({ url: `/gate/events/${ids.paused}/rank?userId=r1` })).statusCode,
        );
      expect(polls).toEqual([200, 200, 429]);
      const s = await scrape(limited);
      expect(valueOf(s, 'rediclaim_gate_rate_limited_total', { route: 'join' })).toBe(2);
      expect(valueOf(s, 'rediclaim_gate_rate_limited_total', { route: 'poll' })).toBe(1);
    } finally {
      await limited.stop();
    }
  });
});

describe('the admission rate the gate reports', () => {
  it('is in shoppers per second, to 2 decimals', async () => {
    const stats = await waitFor('the admission rate to be measured', async () => {
      const res = await g.admin({ url: `${GATE_ADMIN_PREFIX}/${TENANT}/${ids.open}/stats` });
      const body = res.json();
      return body.admissionRate > 0 ? body : undefined;
    });
    expect(Math.round(stats.admissionRate * 100)).toBeCloseTo(stats.admissionRate * 100, 9);
    // Five shoppers admitted in the first window of at least a second: at most 5/s.
    expect(stats.admissionRate).toBeLessThanOrEqual(5);
    const info = (await g.http({ url: `/v1/events/${ids.open}` })).json();
    expect(Math.round(info.admissionRate * 100)).toBeCloseTo(info.admissionRate * 100, 9);
  });
});

describe('an event that leaves the config', () => {
  it('takes every series of its own with it, and later joins of its id count as unknown', async () => {
    const before = seriesOf(await scrape(), ids.dropped);
    expect(new Set(before.map((s) => s.name))).toEqual(new Set(PER_EVENT_METRICS));
    await events.drop(g.gate, ids.dropped);
    const after = await scrape();
    expect(seriesOf(after, ids.dropped)).toEqual([]);
    const unknownJoins = (samples: Sample[]) =>
      samplesOf(samples, 'rediclaim_gate_joins_total', { tenant: '', event: '' }).reduce(
        (sum, x) => sum + x.value,
        0,
      );
    const late = await join(ids.dropped, 'late');
    expect(late.statusCode).toBeGreaterThanOrEqual(400);
    // A few dispatch rounds later, still nothing of it.
    await new Promise((r) => setTimeout(r, 200));
    const s = await scrape();
    expect(seriesOf(s, ids.dropped)).toEqual([]);
    expect(unknownJoins(s)).toBe(unknownJoins(after) + 1);
    expect(valueOf(s, 'rediclaim_gate_config_events')).toBe(5);
    // The other events keep theirs.
    expect(valueOf(s, 'rediclaim_gate_admitted_total', labels(ids.open))).toBe(5);
  });
});

describe('event_open', () => {
  it('follows the schedule at each scrape: an event reads 1 once it opens, with no config change', async () => {
    expect(valueOf(await scrape(), 'rediclaim_gate_event_open', labels(ids.future))).toBe(0);
    clockOffsetMs = 3_660_000;
    try {
      const s = await scrape();
      expect(valueOf(s, 'rediclaim_gate_event_open', labels(ids.future))).toBe(1);
      expect(valueOf(s, 'rediclaim_gate_event_open', labels(ids.paused))).toBe(0);
    } finally {
      clockOffsetMs = 0;
    }
  });
});
