// Gate benchmark: enqueue and rank throughput and latency of the gate next to a bare
// fastify + ioredis server doing the same single script call, measured in the same run,
// first with a short queue and then with 1,000,000 shoppers already waiting.
//
//   npx tsc -b gate hack && node hack/dist/bench/gate.js [--duration 10] [--rate 5000]
//       [--waiting 1000000] [--connections 100] [--dispatch 100] [--private]
//
// Uses the stack named by RC_STACK (default "test", as the tests; start it with
// `RC_STACK=test hack/stack up`), or a private Redis + Kafka with --private.
// Prints a table and writes hack/bench/results/gate.json. The machine's load average
// is printed beside the figures: numbers from a busy machine are not comparable.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { eventKeys, renderEventsConfig, eventConfigSchema } from '@rediclaim/core';
import {
  createTestTopics,
  deleteTestTopics,
  freePorts,
  repoRoot,
  stackEnv,
  startPrivateStack,
  startService,
  uniqueName,
  type PrivateStack,
  type StackEnv,
} from '../testing/index.js';

// --- autocannon (CommonJS, no bundled types) -------------------------------------------
interface CannonRequest {
  method: string;
  path: string;
}
interface CannonOptions {
  url: string;
  connections: number;
  duration: number;
  overallRate?: number;
  requests: { method: string; setupRequest: (r: CannonRequest) => CannonRequest }[];
}
interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; p99_9?: number; average: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (
  options: CannonOptions,
) => Promise<CannonResult>;

// --- settings ----------------------------------------------------------------------------
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: process.env.BENCH_DURATION ?? '10' },
    rate: { type: 'string', default: '5000' },
    waiting: { type: 'string', default: '1000000' },
    connections: { type: 'string', default: '100' },
    private: { type: 'boolean', default: false },
    dispatch: { type: 'string', default: '100' },
  },
});
const DURATION = Number(args.duration);
const RATE = Number(args.rate);
const WAITING = Number(args.waiting);
const CONNECTIONS = Number(args.connections);
/** The benchmark event's dispatchPerSecond; 0 = paused (no Kafka traffic in the background). */
const DISPATCH = Number(args.dispatch);
const SHORT_QUEUE = 10_000;
const TENANT = 'bench';
const EVENT_ID = uniqueName('gatebench');
const keys = eventKeys(TENANT, EVENT_ID);

const load = () =>
  os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
const uptime = () => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${load()}`;
  }
};
const log = (message: string) => console.error(`[bench:gate] ${message}`);

// --- queue filling -------------------------------------------------------------------------
// Fills the queue the way the enqueue script would (ticket 2^48 + seq), 10,000 per call.
const FILL = `
local n = tonumber(ARGV[2])
local last = redis.call('INCRBY', KEYS[2], n)
local first = last - n + 1
local args = {}
for i = first, last do
  args[#args + 1] = string.format('%.0f', 281474976710656 + i)
  args[#args + 1] = ARGV[1] .. i
  if #args >= 6000 then redis.call('ZADD', KEYS[1], unpack(args)); args = {} end
end
if #args > 0 then redis.call('ZADD', KEYS[1], unpack(args)) end
return last`;

async function fillTo(redis: Redis, target: number): Promise<void> {
  const started = Date.now();
  let size = await redis.zcard(keys.queue);
  while (size < target) {
    const n = Math.min(10_000, target - size);
    await redis.eval(FILL, 2, keys.queue, keys.seq, 'w', n);
    size += n;
  }
  log(
    `queue holds ${await redis.zcard(keys.queue)} shoppers (filled in ${Date.now() - started} ms)`,
  );
}

// --- servers -----------------------------------------------------------------------------
async function waitHttp(url: string, what: string, proc?: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (proc && proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet listening
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not answer at ${url}`);
}

// --- runs ----------------------------------------------------------------------------------
type Op = 'enqueue' | 'rank';
type Target = 'baseline' | 'gate';
type Mode = 'fixed' | 'max';

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** CPU time the server process spent per request (µs): robust on a busy machine. */
  cpuUsPerRequest: number | null;
}

/** user + system CPU time of a process so far (ms), from /proc (Linux). */
function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

let userCounter = 0;

function requestsFor(op: Op, waiting: number): CannonOptions['requests'] {
  const runTag = uniqueName('r').slice(2);
  return [
    {
      method: op === 'enqueue' ? 'POST' : 'GET',
      setupRequest: (req) => {
        if (op === 'enqueue') {
          req.path = `/gate/events/${EVENT_ID}/enqueue?userId=n${runTag}-${userCounter++}`;
        } else {
          const user = `w${1 + Math.floor(Math.random() * waiting)}`;
          req.path = `/gate/events/${EVENT_ID}/rank?userId=${user}`;
        }
        return req;
      },
    },
  ];
}

async function run(
  url: string,
  pid: number,
  op: Op,
  mode: Mode,
  waiting: number,
  duration = DURATION,
): Promise<Figures> {
  const cpuBefore = cpuMs(pid);
  const result = await autocannon({
    url,
    connections: mode === 'fixed' ? Math.min(CONNECTIONS, 50) : CONNECTIONS,
    duration,
    ...(mode === 'fixed' ? { overallRate: RATE } : {}),
    requests: requestsFor(op, waiting),
  });
  const cpuAfter = cpuMs(pid);
  return {
    cpuUsPerRequest:
      cpuBefore === null || cpuAfter === null || result.requests.total === 0
        ? null
        : Math.round(((cpuAfter - cpuBefore) * 1000) / result.requests.total),
    rps: Math.round(result.requests.total / result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

// --- main ----------------------------------------------------------------------------------
async function main(): Promise<void> {
  const before = uptime();
  log(`start: ${before}`);
  let privateStack: PrivateStack | undefined;
  let env: StackEnv;
  if (args.private) {
    log('starting a private Redis + Kafka');
    privateStack = await startPrivateStack('bench', ['redis', 'kafka']);
    env = privateStack.env;
  } else {
    env = stackEnv();
  }
  const redis = new Redis(env.redisUrl);
  const topics = {
    requests: uniqueName('bench-req'),
    results: uniqueName('bench-res'),
    dl: uniqueName('bench-dl'),
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rc-bench-'));
  const procs: { stop: () => Promise<unknown> }[] = [];
  try {
    if (!args.private)
      await createTestTopics([
        { topic: topics.requests, numPartitions: 3 },
        { topic: topics.results, numPartitions: 3 },
        { topic: topics.dl },
      ]);
    const eventsFile = path.join(dir, 'events.yaml');
    writeFileSync(
      eventsFile,
      renderEventsConfig([
        eventConfigSchema.parse({
          id: EVENT_ID,
          tenant: TENANT,
          schedule: { opensAt: new Date(Date.now() - 60_000).toISOString() },
          // A realistic open event: the dispatcher admits and sends to Kafka in the
          // background while the gate answers (--dispatch 0 pauses it).
          admission: {
            dispatchPerSecond: Math.max(1, DISPATCH),
            mode: DISPATCH > 0 ? 'fifo' : 'paused',
            maxQueueLength: 50_000_000,
            processingTimeoutSeconds: 3600,
          },
          coupon: {
            stock: 100_000_000,
            validity: { validForHours: 24 },
            discount: { type: 'percent', percent: 10 },
          },
        }),
      ]),
    );
    const [gatePort, gateAdmin, basePort] = await freePorts(3);
    const gate = await startService(
      'gate',
      {
        REDIS_URL: env.redisUrl,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        EVENTS_FILE: eventsFile,
        GATE_PORT: String(gatePort),
        GATE_ADMIN_PORT: String(gateAdmin),
        GATE_HOST: '127.0.0.1',
        TOPIC_ISSUE_REQUESTS: topics.requests,
        TOPIC_ISSUE_RESULTS: topics.results,
        TOPIC_DEAD_LETTERS: topics.dl,
        TOPIC_PARTITIONS: '3',
        KAFKA_GROUP_ID: uniqueName('bench-gate'),
        // Nothing redeems here: the benchmark's gates leave the coupons topic alone.
        GATE_COUPONS_ENABLED: 'false',
        // No issuer answers here: admission keeps its rate instead of slowing down.
        ADMISSION_OVERDUE_MS: '0',
        TICKET_SECRET: 'bench-ticket-secret-of-at-least-32-chars',
        REQUEST_SIGNING_KEYS: 'bench=bench-request-signing-secret-of-32-chars',
        // The per-client limit stays on (its cost is measured) but one load generator
        // is one client: set it far above the benchmark's rate.
        ENQUEUE_RATE_LIMIT_MAX: '1000000',
        ENQUEUE_RATE_LIMIT_WINDOW_MS: '1000',
        POLL_RATE_LIMIT_MAX: '10000000',
        // The default (memory); BENCH_RATE_LIMIT_STORE=redis measures the fleet-wide store.
        RATE_LIMIT_STORE: process.env.BENCH_RATE_LIMIT_STORE ?? 'memory',
        POLL_RATE_LIMIT_WINDOW_MS: '1000',
        LOG_LEVEL: 'warn',
      },
      { readyUrl: `http://127.0.0.1:${gateAdmin}/readyz` },
    );
    procs.push(gate);
    const baseline = spawn(
      process.execPath,
      [path.join(repoRoot, 'hack/dist/bench/gate-baseline.js')],
      {
        env: {
          PATH: process.env.PATH ?? '',
          BASELINE_PORT: String(basePort),
          REDIS_URL: env.redisUrl,
          BENCH_TENANT: TENANT,
          BENCH_EVENT_ID: EVENT_ID,
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    procs.push({
      stop: () =>
        new Promise((r) => {
          if (baseline.exitCode !== null) return r(null);
          baseline.once('exit', r);
          baseline.kill('SIGTERM');
        }),
    });
    await waitHttp(`http://127.0.0.1:${basePort}/healthz`, 'the baseline server', baseline);
    const pids: Record<Target, number> = { baseline: baseline.pid!, gate: gate.pid };
    const urls: Record<Target, string> = {
      baseline: `http://127.0.0.1:${basePort}`,
      gate: `http://127.0.0.1:${gatePort}`,
    };

    const results: Record<string, unknown>[] = [];
    for (const [scenario, waiting] of [
      ['short queue', SHORT_QUEUE],
      [`${WAITING.toLocaleString('en')} waiting`, WAITING],
    ] as const) {
      await fillTo(redis, waiting);
      for (const op of ['enqueue', 'rank'] as Op[]) {
        // Warm both up (JIT, connections, script cache) before measuring.
        for (const target of ['baseline', 'gate'] as Target[])
          await run(urls[target], pids[target], op, 'max', waiting, 2);
        for (const mode of ['fixed', 'max'] as Mode[]) {
          const figures = {} as Record<Target, Figures>;
          for (const target of ['baseline', 'gate'] as Target[]) {
            figures[target] = await run(urls[target], pids[target], op, mode, waiting);
            log(
              `${scenario} ${op} ${mode === 'fixed' ? `${RATE}/s` : 'max'} ${target}: ${figures[target].rps} req/s p50 ${figures[target].p50} ms p99 ${figures[target].p99} ms, ${figures[target].cpuUsPerRequest} µs CPU/request (load ${load()})`,
            );
          }
          results.push({
            scenario,
            waiting,
            op,
            load: mode === 'fixed' ? `${RATE} req/s` : 'max',
            baseline: figures.baseline,
            gate: figures.gate,
            ratio: Number((figures.gate.rps / figures.baseline.rps).toFixed(3)),
            // Throughput ratio if the server's CPU were the only limit (baseline CPU/gate CPU).
            cpuRatio:
              figures.gate.cpuUsPerRequest && figures.baseline.cpuUsPerRequest
                ? Number(
                    (figures.baseline.cpuUsPerRequest / figures.gate.cpuUsPerRequest).toFixed(3),
                  )
                : null,
            loadAverage: load(),
          });
        }
      }
    }

    const after = uptime();
    const header = [
      'scenario',
      'op',
      'load',
      'baseline req/s',
      'p50',
      'p99',
      'gate req/s',
      'p50',
      'p99',
      'gate/base',
      'CPU µs/req b/g',
      'CPU ratio',
      'errors b/g',
    ];
    const rows = results.map((r) => {
      const b = r.baseline as Figures;
      const g = r.gate as Figures;
      return [
        String(r.scenario),
        String(r.op),
        String(r.load),
        String(b.rps),
        `${b.p50} ms`,
        `${b.p99} ms`,
        String(g.rps),
        `${g.p50} ms`,
        `${g.p99} ms`,
        String(r.ratio),
        `${b.cpuUsPerRequest}/${g.cpuUsPerRequest}`,
        String(r.cpuRatio),
        `${b.non2xx + b.errors}/${g.non2xx + g.errors}`,
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    console.log(
      `\nGate benchmark (${DURATION} s per run, ${CONNECTIONS} connections at max; the gate's event dispatches ${DISPATCH > 0 ? `${DISPATCH}/s to Kafka meanwhile` : 'nothing (paused)'}; errors = non-2xx + socket errors, baseline/gate)`,
    );
    console.log(line(header));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const row of rows) console.log(line(row));
    console.log(`\nmachine: ${os.cpus().length} cpus\nbefore: ${before}\nafter:  ${after}`);

    const out = path.join(repoRoot, 'hack/bench/results');
    mkdirSync(out, { recursive: true });
    writeFileSync(
      path.join(out, 'gate.json'),
      JSON.stringify(
        {
          measuredAt: new Date().toISOString(),
          host: { cpus: os.cpus().length, uptimeBefore: before, uptimeAfter: after },
          settings: {
            dispatchPerSecond: DISPATCH,
            durationSeconds: DURATION,
            fixedRate: RATE,
            connections: CONNECTIONS,
            waiting: WAITING,
          },
          results,
        },
        null,
        2,
      ),
    );
    log(`wrote ${path.join(out, 'gate.json')}`);
  } finally {
    await Promise.allSettled(procs.map((p) => p.stop()));
    // The benchmark's queue is big: free it in the background.
    await redis.unlink(...Object.values(keys)).catch(() => undefined);
    await redis.quit();
    if (!args.private) await deleteTestTopics(Object.values(topics)).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await privateStack?.destroy();
  }
}

await main();
