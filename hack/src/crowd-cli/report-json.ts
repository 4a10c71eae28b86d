import type { CrowdReport } from '../crowd/crowd.js';
import { requestsPerShopper, type Check } from '../crowd/summary.js';
import type { GateEvent } from './gate-event.js';
import type { CrowdCliOptions } from './options.js';
import type { ArrivalPlan } from './plan.js';

/** The most shoppers named one by one in the JSON (the counts cover the rest). */
const NAMED_LOST = 100;

/** `--json`: the run as one document for machines (CI, dashboards), without every shopper. */
export function reportJson(
  options: CrowdCliOptions,
  event: GateEvent,
  plan: ArrivalPlan,
  report: CrowdReport,
  checks: Check[],
  exitCode: number,
) {
  return {
    ok: exitCode === 0,
    exitCode,
    gates: options.gates,
    eventId: options.eventId,
    api: options.api,
    arrival: options.arrival,
    arrivalSeconds: plan.seconds,
    users: report.users,
    userPrefix: options.userPrefix,
    sale: {
      phaseBefore: event.phase,
      stock: event.stock,
      remainingBefore: event.remaining,
      dispatchPerSecond: event.dispatchPerSecond ?? null,
    },
    outcomes: report.outcomes,
    waitMs: report.waitMs,
    allKnowMs: report.allKnowMs,
    requests: report.requests,
    requestsPerShopper: Number(requestsPerShopper(report).toFixed(2)),
    errors: report.errors,
    connectionRetries: report.connectionRetries,
    unavailableCodes: report.unavailableCodes,
    firstAdmittedAt:
      report.firstAdmittedAt !== undefined ? new Date(report.firstAdmittedAt).toISOString() : null,
    checks,
    lostShoppers: report.shoppers
      .filter((s) => s.status === 'LOST' || s.status === 'NOT_JOINED')
      .slice(0, NAMED_LOST)
      .map((s) => s.userId),
  };
}
