import type { CrowdReport } from './crowd.js';

/** What the crowd knew of the sale beforehand; unknown parts read "n/a". */
export interface SaleFacts {
  stock?: number;
  /** Admissions per second (the event's dispatchPerSecond). */
  rate?: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const ms = (n: number) => (Number.isFinite(n) ? `${(n / 1000).toFixed(2)} s` : 'n/a');

/** Requests per shopper: one join plus the polls; the cost a real crowd puts on the gates. */
export function requestsPerShopper(report: CrowdReport): number {
  return report.users > 0 ? report.requests / report.users : 0;
}

/** The summary's lines, [label, value]: outcomes, waits, requests, errors. */
export function summaryLines(
  sale: SaleFacts,
  report: CrowdReport,
  extra: [string, string][] = [],
): [string, string][] {
  const o = report.outcomes;
  const errors = report.errors;
  const { stock, rate } = sale;
  return [
    ['shoppers', String(report.users)],
    ['coupons on sale', stock !== undefined ? String(stock) : 'n/a'],
    [
      'admission rate',
      rate !== undefined
        ? `${rate}/s${stock !== undefined && rate > 0 ? ` (ideal time to sell out: ${ms((stock / rate) * 1000)})` : ''}`
        : 'n/a',
    ],
    ['issued', String(o.ISSUED ?? 0)],
    ['sold out', String(o.SOLD_OUT ?? 0)],
    [
      'other outcomes',
      Object.entries(o)
        .filter(([k]) => k !== 'ISSUED' && k !== 'SOLD_OUT')
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none',
    ],
    [
      'wait p50 / p95 / p99',
      `${ms(report.waitMs.p50)} / ${ms(report.waitMs.p95)} / ${ms(report.waitMs.p99)}`,
    ],
    ['everyone knew after', ms(report.allKnowMs)],
    [
      'requests',
      `${report.requests} (${requestsPerShopper(report).toFixed(1)} per shopper: the join, ${report.streams ? 'the streams ' : ''}and the polls)`,
    ],
    ...(report.streams
      ? ([
          [
            'push streams',
            `${report.streams.ended} told the outcome, ${report.streams.fellBack} refused or broken, ${report.streams.overCrowdLimit} past this crowd's own limit of open streams (those shoppers polled)`,
          ],
        ] as [string, string][])
      : []),
    [
      'errors',
      `5xx ${errors.http5xx}, shed (503) ${errors.http503}, rate-limited (429) ${errors.http429}, network ${errors.network}`,
    ],
    ...(report.connectionRetries > 0
      ? ([
          [
            'connection retries',
            `${report.connectionRetries} (sent again on a new connection after a gate closed a kept-alive one)`,
          ],
        ] as [string, string][])
      : []),
    ...extra,
  ];
}

/** The result a person reads at a glance: the summary, then each check. */
export function printSummary(
  sale: SaleFacts,
  report: CrowdReport,
  checks: Check[],
  options: { extra?: [string, string][]; checkedAgainst: string },
): void {
  const lines = summaryLines(sale, report, options.extra);
  const width = Math.max(...lines.map(([k]) => k.length));
  console.log('Summary');
  for (const [k, v] of lines) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log(`Invariants (checked against ${options.checkedAgainst})`);
  for (const check of checks)
    console.log(`  ${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`);
}
