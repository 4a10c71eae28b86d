#!/usr/bin/env node
// rediclaim-crowd: a load test of any rediclaim deployment from the outside. A crowd of
// shoppers joins an event at one or more gates, each polls until it knows its outcome;
// then the summary the demo prints and the checks a crowd can make (checks.ts).
import { runCrowd } from '../crowd/crowd.js';
import { progressLine } from '../crowd/progress.js';
import { printSummary } from '../crowd/summary.js';
import { outsideChecks } from './checks.js';
import { CrowdCliError, ExitCode } from './errors.js';
import { readGateEvent } from './gate-event.js';
import { crowdUsage, parseCrowdOptions } from './options.js';
import { planArrival } from './plan.js';
import { reportJson } from './report-json.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(argv: string[]): Promise<number> {
  const options = parseCrowdOptions(argv);
  if (options === 'help') {
    console.log(crowdUsage);
    return ExitCode.Ok;
  }
  // With --json, stdout carries the document only.
  const say = (line: string) =>
    (options.json ? console.error : console.log)(`[rediclaim-crowd] ${line}`);

  const events = await Promise.all(options.gates.map((g) => readGateEvent(g, options.eventId)));
  const event = events[0]!;
  say(
    `event ${options.eventId} at ${options.gates.length} gate(s): ${event.phase}, ${event.remaining} of ${event.stock} coupons left, ${event.dispatchPerSecond ?? '?'} admissions/s, opens ${event.opensAt}`,
  );
  const plan = planArrival(options, event);
  say(plan.description);
  if (plan.startAt > Date.now()) await sleep(plan.startAt - Date.now());

  const report = await runCrowd({
    gateUrls: options.gates,
    eventId: options.eventId,
    users: options.users,
    arrival: plan.shape,
    arrivalSeconds: plan.seconds,
    userIdPrefix: options.userPrefix,
    connectionsPerGate: options.connections,
    api: options.api,
    push: !options.poll,
    giveUpMs: options.timeoutSeconds * 1000,
    onProgress: (p) => say(progressLine(p)),
  });
  const checks = outsideChecks(report, {
    ...(options.expectStock !== undefined ? { expectStock: options.expectStock } : {}),
    // What was left before this crowd is the most it can be given.
    remainingBefore: event.remaining,
    preQueue: options.arrival === 'prequeue',
  });
  const failed = checks.filter((c) => !c.ok);
  const code = failed.length === 0 ? ExitCode.Ok : ExitCode.ChecksFailed;

  if (options.json) {
    console.log(JSON.stringify(reportJson(options, event, plan, report, checks, code)));
  } else {
    console.log();
    printSummary({ stock: event.stock, rate: event.dispatchPerSecond }, report, checks, {
      checkedAgainst: 'what the shoppers were told',
      extra: [
        ['gates', options.gates.join(', ')],
        ['event', `${options.eventId} (${event.phase} before the crowd)`],
        ['arrival', `${options.arrival}, ${plan.seconds.toFixed(1)} s`],
        ['shopper ids', `${options.userPrefix}0 … ${options.userPrefix}${options.users - 1}`],
      ],
    });
  }
  say(
    failed.length === 0
      ? 'every shopper learned the outcome and every check held'
      : `FAILED: ${failed.map((c) => c.name).join('; ')}`,
  );
  return code;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof CrowdCliError) {
      for (const line of error.message.split('\n')) console.error(`rediclaim-crowd: ${line}`);
      if (error.exitCode === ExitCode.Usage)
        console.error('Run "rediclaim-crowd --help" for the options.');
      process.exit(error.exitCode);
    }
    console.error(
      `rediclaim-crowd failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(ExitCode.ChecksFailed);
  },
);
