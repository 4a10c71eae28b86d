// The chart's dashboard and alert rules against a real Prometheus (Debian's) scraping the
// whole platform through a sale: two gates, an issuer and the operator under the jobs
// the chart's ServiceMonitor gives them. Every dashboard query returns series, every
// selector of every alert finds series with the labels it groups by (a typo'd metric or
// label fails here), every rule evaluates without error, and the dead-letter alert fires
// for the forged records sent mid-sale.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  repoRoot,
  startE2E,
  startPrometheus,
  testKafka,
  waitFor,
  type E2E,
  type PrometheusServer,
} from '@rediclaim/hack/testing';
import { runCrowd } from '../../src/crowd/crowd.js';
import { RedemptionClient } from '../../src/saga/index.js';
import { gateKnows, saleSpec } from '../support/e2e.js';
import {
  alertRules,
  dashboard,
  dashboardQueries,
  rulesFile,
  selectorsOf,
  withVariables,
} from '../support/monitoring.js';

let e2e: E2E;
let prom: PrometheusServer;
const hostPort = (url: string) => new URL(url).host;

beforeAll(async () => {
  e2e = await startE2E('e2e-mon', ['shop'], {
    gates: 2,
    issuerMinReplicas: 1,
    issuerMaxReplicas: 1,
    // As in production, the per-client limits are on (high enough for a crowd from one
    // address): the rate-limited panel has its series.
    extraEnv: { gate: { ENQUEUE_RATE_LIMIT_MAX: '1000000', POLL_RATE_LIMIT_MAX: '1000000' } },
  });
  prom = await startPrometheus({
    dir: path.join(repoRoot, '.rediclaim', 'test', 'prometheus', e2e.id),
    ruleFiles: [rulesFile],
    jobs: {
      'rediclaim-gate-admin': e2e.platform.gateAdminUrls.map(hostPort),
      'rediclaim-issuer-admin': e2e.platform.issuerAdminUrls().map(hostPort),
      'rediclaim-operator-admin': [hostPort(e2e.platform.operatorAdminUrl)],
    },
  });
  await prom.allTargetsUp();

  const eventId = `${e2e.id}-sale`;
  await e2e.apply('shop', 'sale', saleSpec({ eventId, stock: 40, rate: 100 }));
  await gateKnows(e2e.platform.gateUrls[0]!, eventId);
  const report = await runCrowd({
    gateUrls: e2e.platform.gateUrls,
    eventId,
    users: 80,
    arrivalSeconds: 1,
    userIdPrefix: 'mon-',
  });
  expect(report.outcomes).toEqual({ ISSUED: 40, SOLD_OUT: 40 });

  // Records nobody should send: the issuer and the gate set them aside as dead letters.
  const producer = testKafka().producer();
  await producer.connect();
  await producer.send({ topic: `${e2e.id}.requests`, messages: [{ key: 'x', value: 'not json' }] });
  await producer.send({ topic: `${e2e.id}.results`, messages: [{ key: 'y', value: '{"type"' }] });
  await producer.disconnect();

  const winner = report.shoppers.find((s) => s.couponCode)!;
  const client = new RedemptionClient(
    e2e.platform.redemptionUrls()[0]!,
    e2e.platform.redemptionToken,
    e2e.tenants.shop!,
  );
  await client.redeem(
    { code: winner.couponCode!, userId: winner.userId, orderId: 'order-1', orderAmount: 20_000 },
    'key-1',
  );

  // Prometheus has seen the sale through: sold out in the CouponEvent's status, the
  // redemption, and both dead letters, each in a few scrapes (rate() needs two samples).
  for (const expr of [
    'rediclaim_couponevent_sold_out_timestamp_seconds',
    'rediclaim_couponevent_redeemed > 0',
    'count_over_time(rediclaim_issuer_redemptions_total[1m]) > 2',
    'count_over_time((rediclaim_issuer_dead_letters_total > 0)[1m:1s]) > 2',
    'count_over_time((rediclaim_gate_results_ignored_total{reason="invalid"} > 0)[1m:1s]) > 2',
  ]) {
    await waitFor(
      `Prometheus to see ${expr}`,
      async () => (await prom.query(expr)).length > 0,
      60_000,
      500,
    );
  }
}, 240_000);

afterAll(async () => {
  await prom?.stop();
  await e2e?.stop();
});

describe('the dashboard on a real Prometheus after a sale', () => {
  const d = dashboard();

  it('has series behind every query', async () => {
    const empty: string[] = [];
    for (const q of dashboardQueries(d)) {
      const samples = await prom.query(withVariables(q.expr, d, '1m'));
      if (samples.length === 0) empty.push(`${q.panel}: ${q.expr}`);
    }
    expect(empty).toEqual([]);
  });

  it('offers the sale in its release, tenant and event selectors', async () => {
    expect(await prom.labelValues('job', 'up{job=~".+-gate-admin"}')).toEqual([
      'rediclaim-gate-admin',
    ]);
    expect(await prom.labelValues('tenant', 'rediclaim_gate_event_stock')).toContain(
      e2e.tenants.shop,
    );
    expect(
      await prom.labelValues('event', `rediclaim_gate_event_stock{tenant="${e2e.tenants.shop}"}`),
    ).toEqual([`${e2e.id}-sale`]);
  });
});

describe('the metrics of every service on a real Prometheus after a sale', () => {
  const jobs = ['rediclaim-gate-admin', 'rediclaim-issuer-admin', 'rediclaim-operator-admin'];

  it("include Node's default metrics under their standard names, unprefixed", async () => {
    for (const metric of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
    ])
      expect({ metric, jobs: (await prom.labelValues('job', metric)).sort() }).toEqual({
        metric,
        jobs,
      });
  });

  it('label the sale with the same tenant and event in every service', async () => {
    const sale = `{tenant="${e2e.tenants.shop}", event="${e2e.id}-sale"}`;
    expect((await prom.labelValues('job', sale)).sort()).toEqual(jobs);
  });
});

describe('the alert rules on a real Prometheus after a sale', () => {
  it('find series for every selector, carrying the labels they group by', async () => {
    const problems: string[] = [];
    for (const rule of alertRules()) {
      for (const selector of selectorsOf(rule.expr)) {
        const series = await prom.series(selector.text);
        if (series.length === 0) {
          problems.push(`${rule.alert}: no series for ${selector.text}`);
          continue;
        }
        const missing = selector.groupedBy.filter((l) => !series.some((s) => l in s));
        if (missing.length)
          problems.push(`${rule.alert}: ${selector.text} has no ${missing.join(', ')}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('all evaluate without error, and only the dead-letter alerts fire', async () => {
    type Rule = { name: string; health: string; lastError?: string; state: string };
    const waitForEvaluation = async () => {
      const { groups } = await prom.get<{ groups: { rules: Rule[] }[] }>('/api/v1/rules');
      const rules = groups.flatMap((g) => g.rules);
      return rules.every((r) => r.health !== 'unknown') && rules;
    };
    const rules = await waitFor('every rule to be evaluated', waitForEvaluation, 30_000, 500);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual(
      [],
    );
    expect(rules.length).toBe(alertRules().length);
    const firing = rules.filter((r) => r.state === 'firing').map((r) => r.name);
    expect(firing.sort()).toEqual(['RediclaimGateDeadLetters', 'RediclaimIssuerDeadLetters']);
  });
});
