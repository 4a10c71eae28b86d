// Proof of work on join: what one join costs at each difficulty (the challenge's
// maxnumber), for a shopper's browser and for a bot farm, and what verifying it costs
// the gate. One gate in this process on the bench stack's Redis, an event per difficulty:
//   - browser: headless Chromium on the waiting-room page, solving through the page's own
//     pow.js (altcha-lib's solver in Web Workers, up to 4), ms per join;
//   - node library: altcha-lib's solveChallenge in Node (WebCrypto, one digest per try);
//   - node native: a tight node:crypto loop, what a bot farm writes: joins/s per core;
//   - gate: verifying one solution (PowGuard.admit, the Redis spend included), µs;
//   - crowd: the load generator (hack/src/crowd) joining a PoW event at the middle
//     difficulty, solving as a bot farm would, end to end.
// Each row is the mean of as many solves as fit its time box (at least 3).
//
//   node hack/dist/bench/pow.js [--difficulties 10000,50000,100000,500000,1000000] [--seconds 8]
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { pino } from 'pino';
import { eventConfigSchema, renderEventsConfig } from '@rediclaim/core';
import { Gate, loadGateSettings, type PowChallenge } from '@rediclaim/gate';
import { freePorts } from '../testing/free-ports.js';
import { repoRoot, stackEnv } from '../testing/env.js';
import { uniqueName } from '../testing/names.js';
import { runCrowd } from '../crowd/crowd.js';
import { powSolutionHeader, solvePow, type PowSolverKind } from '../crowd/pow-solver.js';
import { machine } from './machine.js';

const { values } = parseArgs({
  options: {
    difficulties: { type: 'string', default: '10000,50000,100000,500000,1000000' },
    seconds: { type: 'string', default: '8' },
    'crowd-users': { type: 'string', default: '300' },
  },
});
const DIFFICULTIES = values.difficulties.split(',').map(Number);
const BOX_MS = Number(values.seconds) * 1000;
const TENANT = 'bench-pow';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const env = stackEnv();
const dir = path.join(os.tmpdir(), uniqueName('bench-pow'));
mkdirSync(dir, { recursive: true });
const eventsFile = path.join(dir, 'events.yaml');
const idOf = (difficulty: number) => `pow-${difficulty}`;
writeFileSync(
  eventsFile,
  renderEventsConfig(
    DIFFICULTIES.map((difficulty) =>
      eventConfigSchema.parse({
        id: idOf(difficulty),
        tenant: TENANT,
        uid: uniqueName('sale'),
        schedule: { opensAt: new Date(Date.now() - 60_000).toISOString() },
        // Paused: joins are what is measured; nobody needs to be admitted.
        admission: {
          dispatchPerSecond: 1000,
          mode: 'paused',
          proofOfWork: { enabled: true, difficulty, challengeTtlSeconds: 600 },
        },
        coupon: {
          stock: 1000,
          validity: { validForHours: 24 },
          discount: { type: 'percent', percent: 10 },
        },
      }),
    ),
  ),
);

const [publicPort, adminPort] = await freePorts(2);
const settings = loadGateSettings({
  GATE_PORT: String(publicPort),
  GATE_ADMIN_PORT: String(adminPort),
  GATE_HOST: '127.0.0.1',
  REDIS_URL: env.redisUrl,
  KAFKA_BROKERS: env.kafkaBrokers.join(','),
  EVENTS_FILE: eventsFile,
  ENQUEUE_RATE_LIMIT_MAX: '0',
  POLL_RATE_LIMIT_MAX: '0',
  GATE_COUPONS_ENABLED: 'false',
  TICKET_SECRET: 'a-bench-ticket-secret-of-at-least-32-chars',
  POW_HMAC_KEY: 'a-bench-proof-of-work-key-of-32-characters',
  REQUEST_SIGNING_KEYS: 'bench=a-bench-request-signing-secret-of-32-chars',
  KAFKA_CONNECT_WAIT_MS: '0',
  // This process solves too (the Node rows): the gate must not shed for its busy loop.
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '0',
  LOG_LEVEL: 'error',
});
const gate = new Gate({ settings, logger: pino({ level: 'error' }), background: false });
await gate.start();
const base = `http://127.0.0.1:${(gate.app.server.address() as AddressInfo).port}`;

async function challengeOf(difficulty: number): Promise<PowChallenge> {
  const res = await fetch(`${base}/v1/events/${idOf(difficulty)}/challenge`);
  if (!res.ok) throw new Error(`challenge: ${res.status} ${await res.text()}`);
  return (await res.json()) as PowChallenge;
}

/** Runs `fn` until the time box is spent (at least 3 times); its mean and count. */
async function timed(fn: () => Promise<unknown>): Promise<{ meanMs: number; samples: number }> {
  const started = performance.now();
  let samples = 0;
  while (samples < 3 || performance.now() - started < BOX_MS) {
    await fn();
    samples++;
  }
  return { meanMs: (performance.now() - started) / samples, samples };
}

const node = async (difficulty: number, kind: PowSolverKind) =>
  timed(async () => solvePow(await challengeOf(difficulty), kind));

/** One verified, spent join per call (a new shopper each time), through PowGuard alone. */
async function verifyCost(difficulty: number): Promise<{ meanUs: number; samples: number }> {
  const event = gate.events.get(idOf(difficulty))!;
  const solutions: string[] = [];
  for (let i = 0; i < 200; i++) {
    const c = await gate.pow.challenge(event);
    solutions.push(powSolutionHeader(c, await solvePow(c)));
  }
  const started = performance.now();
  for (const s of solutions) await gate.pow.admit(event, s);
  return { meanUs: ((performance.now() - started) / solutions.length) * 1000, samples: 200 };
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const page = await (await browser.newContext()).newPage();
await page.goto(`${base}/events/${idOf(DIFFICULTIES[0]!)}`);
const powModule = await page.evaluate(
  () => document.querySelector<HTMLScriptElement>('script[src$="app.js"]')!.src,
);
const browserCost = async (difficulty: number) => {
  const started = performance.now();
  let samples = 0;
  while (samples < 3 || performance.now() - started < BOX_MS) {
    const challenge = await challengeOf(difficulty);
    const solution = await page.evaluate(
      async ([url, c]) => {
        const { solvePow: solve } = (await import(url)) as {
          solvePow: (c: unknown) => Promise<string | undefined>;
        };
        return solve(c);
      },
      [powModule.replace(/app\.js$/, 'pow.js'), challenge] as const,
    );
    if (!solution) throw new Error('the page found no solution');
    samples++;
  }
  const workers = await page.evaluate(() => Math.min(4, navigator.hardwareConcurrency || 1));
  return { meanMs: (performance.now() - started) / samples, samples, workers };
};

const rows = [];
for (const difficulty of DIFFICULTIES) {
  const browserRow = await browserCost(difficulty);
  const library = await node(difficulty, 'library');
  const native = await node(difficulty, 'native');
  const verify = await verifyCost(difficulty);
  const row = {
    difficulty,
    expectedHashes: difficulty / 2,
    browser: { ...browserRow, meanMs: round(browserRow.meanMs) },
    nodeLibrary: { ...library, meanMs: round(library.meanMs) },
    nodeNative: {
      ...native,
      meanMs: round(native.meanMs),
      joinsPerSecondPerCore: round(1000 / native.meanMs),
    },
    gateVerify: { ...verify, meanUs: round(verify.meanUs) },
  };
  rows.push(row);
  console.log(
    `difficulty ${difficulty.toLocaleString('en')}: browser ${row.browser.meanMs} ms/join (${browserRow.workers} workers, ${browserRow.samples} solves), node library ${row.nodeLibrary.meanMs} ms, node native ${row.nodeNative.meanMs} ms = ${row.nodeNative.joinsPerSecondPerCore} joins/s per core; gate verify ${row.gateVerify.meanUs} µs/join`,
  );
}
await browser.close();

// The load generator against the middle difficulty: it learns from the first 428 and
// solves before every later join, as a bot farm would.
const middle = DIFFICULTIES[Math.floor(DIFFICULTIES.length / 2)]!;
const users = Number(values['crowd-users']);
const crowdStarted = performance.now();
const crowd = await runCrowd({
  gateUrls: [base],
  eventId: idOf(middle),
  users,
  arrivalSeconds: 0,
  userIdPrefix: uniqueName('bot'),
  giveUpMs: 5_000,
});
const crowdSeconds = (performance.now() - crowdStarted) / 1000;
const queued = await gate.redis.zcard(gate.events.get(idOf(middle))!.keys.queue);
const crowdRow = {
  difficulty: middle,
  users,
  queued,
  solved: crowd.pow.solved,
  solveMsPerJoin: round(crowd.pow.solveMs / Math.max(1, crowd.pow.solved)),
  joinsPerSecond: round(queued / crowdSeconds),
  errors: crowd.errors,
};
console.log(
  `crowd (bot farm, one process): ${users} shoppers at difficulty ${middle.toLocaleString('en')}: ${queued} joined, ${crowdRow.solved} challenges solved, ${crowdRow.solveMsPerJoin} ms each, ${crowdRow.joinsPerSecond} joins/s`,
);

await gate.stop();
const out = { machine: machine(), rows, crowd: crowdRow };
const results = path.join(repoRoot, 'hack/bench/results');
mkdirSync(results, { recursive: true });
writeFileSync(path.join(results, 'pow.json'), `${JSON.stringify(out, null, 2)}\n`);
process.exit(0);

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
