// The chart's monitoring pack as data the tests check: the alert rules' expressions,
// the dashboard's queries, and the selectors inside any PromQL expression (read with
// Prometheus' own grammar, @prometheus-io/lezer-promql, not with regular expressions).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { parser } from '@prometheus-io/lezer-promql';
import { repoRoot } from '@rediclaim/hack/testing';

export const monitoringDir = path.join(repoRoot, 'charts', 'rediclaim', 'files', 'monitoring');
export const rulesFile = path.join(monitoringDir, 'rediclaim.rules.yaml');
export const dashboardFile = path.join(monitoringDir, 'rediclaim-dashboard.json');
export const rulesTestFile = path.join(repoRoot, 'hack', 'test', 'monitoring', 'rules.test.yaml');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(): AlertRule[] {
  const doc = load(readFileSync(rulesFile, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; legendFormat?: string }[];
  panels?: DashboardPanel[];
}

export interface DashboardVariable {
  name: string;
  type: string;
  query: string | { query: string };
  allValue?: string;
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: DashboardPanel[];
  templating: { list: DashboardVariable[] };
}

export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(dashboardFile, 'utf8')) as Dashboard;
}

/** Every panel, rows' children included. */
export function panelsOf(d: Dashboard): DashboardPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function dashboardQueries(d: Dashboard): { panel: string; expr: string }[] {
  return panelsOf(d).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
  );
}

/**
 * A query as Grafana sends it with every variable at "All" (its allValue) and
 * `$__rate_interval` at `rateInterval`. Unknown variables are left for the caller to see.
 */
export function withVariables(expr: string, d: Dashboard, rateInterval: string): string {
  let out = expr.replaceAll('$__rate_interval', rateInterval);
  for (const v of d.templating.list) {
    if (v.allValue !== undefined) out = out.replaceAll(`$${v.name}`, v.allValue);
  }
  return out;
}

export interface Selector {
  /** The vector selector as written, e.g. `up{job=~".*gate-admin"}`. */
  text: string;
  /** Labels the enclosing aggregations group by (`by (...)`), which its series must carry. */
  groupedBy: string[];
}

/** The vector selectors of a PromQL expression; throws on a syntax error. */
export function selectorsOf(expr: string): Selector[] {
  const tree = parser.parse(expr);
  const selectors: Selector[] = [];
  const grouping: string[][] = [];
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError) error ??= node.from;
      if (node.name === 'AggregateExpr') {
        const modifier = node.node.getChild('AggregateModifier');
        const by = modifier?.getChild('By') !== null && modifier !== null;
        const labels = by
          ? (modifier!.getChild('GroupingLabels')?.getChildren('LabelName') ?? []).map((l) =>
              expr.slice(l.from, l.to),
            )
          : [];
        grouping.push(labels);
      }
      if (node.name === 'VectorSelector') {
        selectors.push({
          text: expr.slice(node.from, node.to),
          groupedBy: [...new Set(grouping.flat())],
        });
        return false;
      }
      return undefined;
    },
    leave(node) {
      if (node.name === 'AggregateExpr') grouping.pop();
    },
  });
  if (error !== undefined) throw new Error(`PromQL syntax error at ${error} in: ${expr}`);
  return selectors;
}
