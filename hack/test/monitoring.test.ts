// The chart's monitoring pack without a running platform: promtool checks the alert
// rules and runs their unit tests (hack/test/monitoring/rules.test.yaml), the dashboard
// is well-formed and every query in it parses, and the chart ships both unchanged.
// hack/test/e2e/monitoring.test.ts proves the queries against a Prometheus scraping a sale.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { dump, load } from 'js-yaml';
import { repoRoot } from '@rediclaim/hack/testing';
import { find, render } from './support/chart.js';
import {
  alertRules,
  dashboard,
  dashboardFile,
  dashboardQueries,
  panelsOf,
  rulesFile,
  rulesTestFile,
  selectorsOf,
  withVariables,
} from './support/monitoring.js';

const run = promisify(execFile);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rc-monitoring-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function promtool(...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: path.dirname(rulesTestFile) });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: (e.stdout ?? '') + (e.stderr ?? e.message) };
  }
}

describe('the alert rules', () => {
  it('pass promtool check rules', async () => {
    const result = await promtool('check', 'rules', rulesFile);
    expect(result.output).toContain(`SUCCESS: ${alertRules().length} rules found`);
    expect(result.ok).toBe(true);
  });

  it('fire and resolve as their promtool unit tests say', async () => {
    const result = await promtool('test', 'rules', rulesTestFile);
    expect(result.output).toContain('SUCCESS');
    expect(result.ok).toBe(true);
  });

  it('each have a unit test in which they fire and, later in the same test, resolve', () => {
    type Check = { eval_time: string; alertname: string; exp_alerts: unknown[] };
    const tests = load(readFileSync(rulesTestFile, 'utf8')) as {
      tests: { alert_rule_test?: Check[] }[];
    };
    const seconds = (d: string) =>
      [...d.matchAll(/(\d+)([hms])/g)].reduce(
        (s, [, n, unit]) => s + Number(n) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'],
        0,
      );
    const firesThenResolves = (alert: string) =>
      tests.tests.some((t) => {
        const checks = (t.alert_rule_test ?? []).filter((c) => c.alertname === alert);
        const fired = checks
          .filter((c) => c.exp_alerts.length > 0)
          .map((c) => seconds(c.eval_time));
        return checks.some(
          (c) => c.exp_alerts.length === 0 && fired.some((f) => seconds(c.eval_time) > f),
        );
      });
    expect(
      alertRules()
        .map((r) => r.alert)
        .filter((a) => !firesThenResolves(a)),
    ).toEqual([]);
  });

  it('each carry a severity, a summary, a description and a runbook the chart README has', () => {
    const readme = readFileSync(path.join(repoRoot, 'charts', 'rediclaim', 'README.md'), 'utf8');
    const anchors = new Set(
      [...readme.matchAll(/^#{2,4} (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase()),
    );
    for (const rule of alertRules()) {
      expect({ alert: rule.alert, severity: rule.labels?.severity }).toEqual({
        alert: rule.alert,
        severity: expect.stringMatching(/^(critical|warning)$/),
      });
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
      const url = rule.annotations?.runbook_url ?? '';
      expect(url).toMatch(
        /^https:\/\/github\.com\/rediclaim\/rediclaim\/blob\/main\/charts\/rediclaim\/README\.md#/,
      );
      expect({ alert: rule.alert, inReadme: anchors.has(url.split('#')[1]!) }).toEqual({
        alert: rule.alert,
        inReadme: true,
      });
    }
  });
});

describe('the dashboard', () => {
  const d = dashboard();

  it('has unique panel ids, a layout inside 24 columns and the Prometheus data-source variable', () => {
    const panels = panelsOf(d);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      if (p.type !== 'row')
        expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
    expect(d.templating.list.find((v) => v.name === 'datasource')).toMatchObject({
      type: 'datasource',
      query: 'prometheus',
    });
  });

  it('is a dashboard Grafana imports: uid, title, schema version, known panel types, targets', () => {
    // Grafana refuses uids over 40 characters; the sidecar keys dashboards by uid.
    expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(d.title).toBeTruthy();
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    for (const p of panelsOf(d)) {
      expect(['row', 'stat', 'timeseries']).toContain(p.type);
      if (p.type === 'row') continue;
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect({ panel: p.title, targets: refIds.length > 0 }).toEqual({
        panel: p.title,
        targets: true,
      });
      expect(new Set(refIds).size).toBe(refIds.length);
    }
  });

  it('uses only variables it defines', () => {
    const defined = new Set(['__rate_interval', ...d.templating.list.map((v) => v.name)]);
    const used = dashboardQueries(d).flatMap((q) =>
      [...q.expr.matchAll(/\$\{?(\w+)/g)].map((m) => m[1]!),
    );
    expect([...new Set(used)].filter((v) => !defined.has(v))).toEqual([]);
  });

  it('has queries that parse, checked by promtool as recording rules', async () => {
    const queries = dashboardQueries(d);
    for (const q of queries)
      expect(() => selectorsOf(withVariables(q.expr, d, '1m'))).not.toThrow();
    const file = path.join(tmp, 'dashboard-queries.yaml');
    writeFileSync(
      file,
      dump({
        groups: [
          {
            name: 'dashboard',
            rules: queries.map((q, i) => ({
              record: `dashboard:query_${i}`,
              expr: withVariables(q.expr, d, '1m'),
            })),
          },
        ],
      }),
    );
    const result = await promtool('check', 'rules', file);
    expect(result.output).toContain(`SUCCESS: ${queries.length} rules found`);
  });
});

describe('the chart', () => {
  it('renders the rule file as a PrometheusRule and the dashboard as a sidecar ConfigMap, unchanged', async () => {
    const objects = await render({
      metrics: {
        prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
        grafanaDashboard: { enabled: true, annotations: { grafana_folder: 'rediclaim' } },
      },
    });
    const rule = find(objects, 'PrometheusRule', 'rediclaim');
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    expect(rule.spec).toEqual(load(readFileSync(rulesFile, 'utf8')));
    const cm = find(objects, 'ConfigMap', 'rediclaim-dashboard');
    expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(cm.metadata.annotations).toEqual({ grafana_folder: 'rediclaim' });
    const data = cm.data as Record<string, string>;
    expect(JSON.parse(data['rediclaim-sales.json']!)).toEqual(
      JSON.parse(readFileSync(dashboardFile, 'utf8')),
    );
  });

  it('renders neither by default', async () => {
    const objects = await render({});
    expect(objects.filter((o) => o.kind === 'PrometheusRule')).toEqual([]);
    expect(objects.filter((o) => o.metadata.name.endsWith('-dashboard'))).toEqual([]);
  });
});

describe('reading PromQL', () => {
  it('finds every selector with the labels its aggregations group by', () => {
    expect(
      selectorsOf('sum by (topic) (max by (topic, partition) (lag{a="1"})) > 1 and on (topic) up'),
    ).toEqual([
      { text: 'lag{a="1"}', groupedBy: ['topic', 'partition'] },
      { text: 'up', groupedBy: [] },
    ]);
  });

  it('refuses an expression that does not parse', () => {
    expect(() => selectorsOf('sum by (tenant (rediclaim_gate_processing)')).toThrow(/syntax error/);
  });
});
