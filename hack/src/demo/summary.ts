import type { CrowdReport } from '../crowd/crowd.js';
import type { DemoArgs } from './args.js';
import type { InvariantCheck } from './invariants.js';

const ms = (n: number) => (Number.isFinite(n) ? `${(n / 1000).toFixed(2)} s` : 'n/a');

/** The result a person reads at a glance. */
export function printSummary(
  args: DemoArgs,
  report: CrowdReport,
  invariants: InvariantCheck[],
  extra: [string, string][] = [],
): void {
  const o = report.outcomes;
  const errors = report.errors;
  const lines: [string, string][] = [
    ['shoppers', String(report.users)],
    ['coupons on sale', String(args.stock)],
    [
      'admission rate',
      `${args.rate}/s (ideal time to sell out: ${ms((args.stock / args.rate) * 1000)})`,
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
    ['requests', String(report.requests)],
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
  const width = Math.max(...lines.map(([k]) => k.length));
  console.log('Summary');
  for (const [k, v] of lines) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log('Invariants (checked against MySQL)');
  for (const check of invariants)
    console.log(`  ${check.ok ? 'ok  ' : 'FAIL'}  ${check.name}: ${check.detail}`);
}
