import type { CrowdReport } from '../crowd/crowd.js';
import { printSummary as printCrowdSummary } from '../crowd/summary.js';
import type { DemoArgs } from './args.js';
import type { InvariantCheck } from './invariants.js';

/** The result a person reads at a glance (the same summary rediclaim-crowd prints). */
export function printSummary(
  args: DemoArgs,
  report: CrowdReport,
  invariants: InvariantCheck[],
  extra: [string, string][] = [],
): void {
  printCrowdSummary(args, report, invariants, { extra, checkedAgainst: 'MySQL' });
}
