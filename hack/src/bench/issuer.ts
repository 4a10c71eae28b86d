// The issuer benchmark: sustained issuances per second from Kafka to committed rows,
// the issuer (a real process, batched transactions) reading v2 batch records (one per
// admission batch of 1,000, as the gate sends them), next to the same issuer reading v1
// records (one per shopper, as before v2) and to the seed's way (one transaction per
// message: check, decrement, insert, commit), same broker, same database server, same
// run. Prints a table with the CPU each process spent per issuance, and writes
// hack/bench/results/issuer.json.
//
//   node hack/dist/bench/issuer.js [--requests 400000] [--v1-requests 100000]
//                                  [--baseline-requests 20000] [--batch 1000]
//                                  [--partitions 12] [--replicas 1] [--concurrency 8]
//                                  [--skip-baseline] [--skip-v1]
//
// BENCH_NODE_ARGS (e.g. "--cpu-prof") goes to the consumers' node, BENCH_ISSUER_LOG_LEVEL
// and ISSUER_* and OUTBOX_* variables to the issuer processes (OUTBOX_RELAY=false: no relay).
//
// The requests are loaded into a fresh topic first, so the consumer, not the producer,
// sets the pace. The clock runs from the first consume (the issuer has joined its
// group, /readyz; the per-message consumer's first row) to the last committed row,
// polling the database; "sustained" counts from the first committed row instead.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import { signingKeysSchema } from '@rediclaim/core';
import { repoRoot, stackEnv } from '../testing/env.js';
import { createTestDatabase, type TestDatabase } from '../testing/mysql.js';
import { uniqueName } from '../testing/names.js';
import { freePorts } from '../testing/free-ports.js';
import { machine } from './machine.js';
import { cpuSeconds as cpuOf, uptime } from './process-stats.js';
import { peakRssMiB, pidFromFile } from './memory.js';
import { PER_MESSAGE_SCHEMA } from './issuer-seed-schema.js';
import { preload, spawnNode, stopAll, type RecordFormat } from './issuer-kit.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '400000' },
    'v1-requests': { type: 'string', default: '100000' },
    'baseline-requests': { type: 'string', default: '20000' },
    batch: { type: 'string', default: '1000' },
    partitions: { type: 'string', default: '12' },
    replicas: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '8' },
    'skip-baseline': { type: 'boolean', default: false },
    'skip-v1': { type: 'boolean', default: false },
  },
});
const N = Number(values.requests);
const BASELINE_N = Number(values['baseline-requests']);
const V1_N = Number(values['v1-requests']);
const BATCH = Number(values.batch);
const PARTITIONS = Number(values.partitions);
const REPLICAS = Number(values.replicas);
const CONCURRENCY = Number(values.concurrency);

const env = stackEnv();
const kafka = new Kafka({
  clientId: 'bench-issuer',
  brokers: env.kafkaBrokers,
  logLevel: logLevel.ERROR,
});
const TENANT = 'bench';
const SECRET = 'bench-secret-of-at-least-16-chars';
// Signed as the gate signs them: verifying is part of the issuer's cost.
const SIGNING_KEYS = 'bench=bench-request-signing-secret-of-32-chars';
const SIGNING_KEY = signingKeysSchema.parse(SIGNING_KEYS)[0]!;
const cpuSeconds = (pid: number | undefined) => (pid === undefined ? undefined : cpuOf(pid));

async function createTopics(topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopics(topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics, timeout: 30_000 }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

interface Measurement {
  requests: number;
  /** Every request, from the first consume to the last committed row. */
  perSecond: number;
  seconds: number;
  /** From the first committed row to the last, the first commit's rows discounted. */
  sustainedPerSecond: number;
  firstRowAfterConsumeSeconds: number;
  resultsPublishedSeconds?: number;
  cpuSeconds: Record<string, number | undefined>;
  peakRssMiB?: number;
  transactions?: {
    count: number;
    meanRequests: number;
    meanSeconds: number;
    eventLoopLagP99Seconds: number;
    eventLoopLagMaxSeconds: number;
    /** Per step of the locked section (lock, read, plan, write, commit), µs per request decided. */
    stepMicrosPerRequest: Record<string, number>;
  };
  loadBefore: string;
  loadAfter: string;
}

/**
 * Polls the committed count until it reaches `n`. The clock starts at the first
 * consume: when the consumer has joined its group (`readyUrl` answers 200; every
 * request is waiting in the topic by then), or, for a consumer without one, when the
 * first row is visible (one transaction per message: its first commit follows its
 * first consume at once). It stops when the last row is visible.
 */
async function measure(
  db: TestDatabase,
  countSql: string,
  n: number,
  processes: ChildProcess[],
  metricsUrls?: string[],
  readyUrl?: string,
): Promise<
  Omit<Measurement, 'cpuSeconds' | 'loadBefore' | 'loadAfter' | 'transactions' | 'peakRssMiB'>
> {
  const conn = await mysql.createConnection({
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    database: db.name,
  });
  const launched = Date.now();
  let consuming: number | undefined;
  let first: { at: number; count: number } | undefined;
  let last: number;
  try {
    for (;;) {
      for (const p of processes) {
        if (p.exitCode !== null) throw new Error(`a consumer process exited with ${p.exitCode}`);
      }
      if (readyUrl && consuming === undefined) {
        const ready = await fetch(readyUrl).then(
          (r) => r.ok,
          () => false,
        );
        if (ready) consuming = Date.now();
      }
      let count = 0;
      try {
        const [rows] = await conn.query<mysql.RowDataPacket[]>(countSql);
        count = Number(rows[0]?.n ?? 0);
      } catch {
        // the table may not exist yet (the issuer migrates at start)
      }
      const now = Date.now();
      if (count > 0 && !first) {
        first = { at: now, count };
        consuming ??= now;
      }
      if (count >= n) {
        last = now;
        break;
      }
      if (now - launched > 30 * 60_000) throw new Error(`stuck at ${count} of ${n} rows`);
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    await conn.end();
  }
  let resultsPublishedSeconds: number | undefined;
  if (metricsUrls) {
    // Results travel in batch records: count results, not records (the issuers' metric).
    for (;;) {
      const counts = await Promise.all(
        metricsUrls.map((url) =>
          fetch(url)
            .then((r) => r.text())
            .then((t) =>
              Number(/^rediclaim_issuer_results_published_total (\S+)$/m.exec(t)?.[1] ?? 0),
            )
            .catch(() => 0),
        ),
      );
      if (counts.reduce((a, b) => a + b, 0) >= n) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    resultsPublishedSeconds = (Date.now() - consuming!) / 1000;
  }
  const seconds = (last - consuming!) / 1000;
  const sustained = (last - first!.at) / 1000;
  return {
    requests: n,
    seconds,
    perSecond: Math.round(n / Math.max(seconds, 0.001)),
    sustainedPerSecond: Math.round((n - first!.count) / Math.max(sustained, 0.001)),
    firstRowAfterConsumeSeconds: (first!.at - consuming!) / 1000,
    ...(resultsPublishedSeconds !== undefined ? { resultsPublishedSeconds } : {}),
  };
}

function serverCpu(): Record<string, number | undefined> {
  return {
    mariadb: cpuSeconds(pidFromFile(env.mariadbPidFile)),
    kafka: cpuSeconds(pidFromFile(env.kafkaPidFile)),
  };
}

function delta(
  before: Record<string, number | undefined>,
  after: Record<string, number | undefined>,
): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  for (const key of Object.keys(after)) {
    const a = after[key];
    const b = before[key] ?? 0;
    out[key] = a === undefined ? undefined : Math.round((a - b) * 100) / 100;
  }
  return out;
}

async function issuerMetrics(port: number): Promise<Measurement['transactions']> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const value = (name: string) =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    const count = value('rediclaim_issuer_transaction_requests_count');
    return {
      count,
      meanRequests: Math.round(value('rediclaim_issuer_transaction_requests_sum') / count),
      meanSeconds:
        Math.round((value('rediclaim_issuer_transaction_seconds_sum') / count) * 1000) / 1000,
      eventLoopLagP99Seconds: value('nodejs_eventloop_lag_p99_seconds'),
      eventLoopLagMaxSeconds: value('nodejs_eventloop_lag_max_seconds'),
      stepMicrosPerRequest: Object.fromEntries(
        ['lock', 'read', 'plan', 'write', 'commit'].map((step) => [
          step,
          Math.round(
            (Number(
              new RegExp(
                `^rediclaim_issuer_transaction_step_seconds_total\\{step="${step}"\\} (\\S+)$`,
                'm',
              ).exec(text)?.[1] ?? NaN,
            ) /
              value('rediclaim_issuer_transaction_requests_sum')) *
              1e7,
          ) / 10,
        ]),
      ),
    };
  } catch {
    return undefined;
  }
}

async function runIssuer(logDir: string, format: RecordFormat, n: number): Promise<Measurement> {
  const name = uniqueName(`bench-issuer-${format}`);
  const topics = { requests: `${name}.requests`, results: `${name}.results`, dead: `${name}.dead` };
  const db = await createTestDatabase('bench_issuer');
  await createTopics(Object.values(topics));
  try {
    const rate = await preload(kafka, topics.requests, {
      tenant: TENANT,
      eventId: name,
      n,
      format,
      batch: BATCH,
      signingKey: SIGNING_KEY,
    });
    console.log(
      `loaded ${n} requests (${format} records) into ${PARTITIONS} partitions (${Math.round(rate)}/s)`,
    );
    const loadBefore = uptime();
    const cpuBefore = serverCpu();
    const ports = await freePorts(REPLICAS);
    const processes = ports.map((port, i) =>
      spawnNode(
        path.join(repoRoot, 'issuer/dist/main.js'),
        {
          MYSQL_URL: db.url,
          KAFKA_BROKERS: env.kafkaBrokers.join(','),
          KAFKA_GROUP_ID: `${name}-group`,
          TOPIC_ISSUE_REQUESTS: topics.requests,
          TOPIC_ISSUE_RESULTS: topics.results,
          TOPIC_DEAD_LETTERS: topics.dead,
          TOPIC_PARTITIONS: String(PARTITIONS),
          COUPON_CODE_SECRET: SECRET,
          REQUEST_SIGNING_KEYS: SIGNING_KEYS,
          ISSUER_ADMIN_PORT: String(port),
          LOG_LEVEL: process.env.BENCH_ISSUER_LOG_LEVEL ?? 'warn',
          // Tuning experiments: ISSUER_* and OUTBOX_* variables of the bench pass through.
          ...Object.fromEntries(
            Object.entries(process.env).filter(
              (e): e is [string, string] =>
                (e[0].startsWith('ISSUER_') || e[0].startsWith('OUTBOX_')) && e[1] !== undefined,
            ),
          ),
        },
        path.join(logDir, `issuer-${format}-${i}.log`),
      ),
    );
    try {
      const result = await measure(
        db,
        `SELECT issued AS n FROM coupon_events WHERE tenant = '${TENANT}' AND event_id = '${name}'`,
        n,
        processes,
        ports.map((port) => `http://127.0.0.1:${port}/metrics`),
        // Several replicas: the clock starts when the first one has joined.
        `http://127.0.0.1:${ports[0]}/readyz`,
      );
      const cpu: Record<string, number | undefined> = delta(cpuBefore, serverCpu());
      processes.forEach((p, i) => (cpu[`issuer-${i}`] = cpuSeconds(p.pid)));
      const transactions = await issuerMetrics(ports[0]!);
      const peak = peakRssMiB(processes[0]!.pid!);
      return {
        ...result,
        cpuSeconds: cpu,
        ...(transactions ? { transactions } : {}),
        ...(peak !== undefined ? { peakRssMiB: peak } : {}),
        loadBefore,
        loadAfter: uptime(),
      };
    } finally {
      await stopAll(processes);
    }
  } finally {
    await deleteTopics(Object.values(topics));
    await db.drop().catch(() => undefined);
  }
}

async function runPerMessage(logDir: string): Promise<Measurement> {
  const name = uniqueName('bench-per-message');
  const topic = `${name}.requests`;
  const db = await createTestDatabase('bench_per_message');
  await createTopics([topic]);
  try {
    const conn = await mysql.createConnection({
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
      database: db.name,
    });
    let eventRowId: number;
    try {
      for (const ddl of PER_MESSAGE_SCHEMA) await conn.query(ddl);
      const [insert] = await conn.query<mysql.ResultSetHeader>(
        'INSERT INTO coupon_events (stock, issued) VALUES (?, 0)',
        [BASELINE_N],
      );
      eventRowId = insert.insertId;
    } finally {
      await conn.end();
    }
    const rate = await preload(kafka, topic, {
      tenant: TENANT,
      eventId: name,
      n: BASELINE_N,
      format: 'v1',
      batch: BATCH,
      signingKey: SIGNING_KEY,
    });
    console.log(
      `loaded ${BASELINE_N} requests into ${PARTITIONS} partitions (${Math.round(rate)}/s)`,
    );
    const loadBefore = uptime();
    const cpuBefore = serverCpu();
    const child = spawnNode(
      path.join(repoRoot, 'hack/dist/bench/issuer-per-message.js'),
      {
        MYSQL_URL: db.url,
        KAFKA_BROKERS: env.kafkaBrokers.join(','),
        TOPIC: topic,
        GROUP_ID: `${name}-group`,
        EVENT_ROW_ID: String(eventRowId),
        CONCURRENCY: String(CONCURRENCY),
      },
      path.join(logDir, 'per-message.log'),
    );
    try {
      const result = await measure(
        db,
        `SELECT issued AS n FROM coupon_events WHERE id = ${eventRowId}`,
        BASELINE_N,
        [child],
      );
      const cpu: Record<string, number | undefined> = delta(cpuBefore, serverCpu());
      cpu['per-message'] = cpuSeconds(child.pid);
      const peak = peakRssMiB(child.pid!);
      return {
        ...result,
        cpuSeconds: cpu,
        ...(peak !== undefined ? { peakRssMiB: peak } : {}),
        loadBefore,
        loadAfter: uptime(),
      };
    } finally {
      await stopAll([child]);
    }
  } finally {
    await deleteTopics([topic]);
    await db.drop().catch(() => undefined);
  }
}

/** CPU microseconds per issuance of each process of a run. */
function microsPerIssuance(m: Measurement): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  for (const [name, seconds] of Object.entries(m.cpuSeconds)) {
    out[name] = seconds === undefined ? undefined : Math.round((seconds / m.requests) * 1e7) / 10;
  }
  return out;
}

const GOAL = { issuancesPerSecond: 40_000, ratio: 30 };

async function main(): Promise<void> {
  const logDir = path.join(repoRoot, '.rediclaim', 'bench', 'logs');
  mkdirSync(logDir, { recursive: true });
  console.log(`machine: ${JSON.stringify(machine())}`);
  console.log(`before: ${uptime()}`);
  const issuer = await runIssuer(logDir, 'v2', N);
  console.log(`issuer, v2 records: ${issuer.perSecond}/s  (${uptime()})`);
  const v1 = values['skip-v1'] ? undefined : await runIssuer(logDir, 'v1', V1_N);
  if (v1) console.log(`issuer, v1 records: ${v1.perSecond}/s  (${uptime()})`);
  const perMessage = values['skip-baseline'] ? undefined : await runPerMessage(logDir);
  if (perMessage) console.log(`per-message: ${perMessage.perSecond}/s  (${uptime()})`);

  const ratioTo = (m: Measurement | undefined) =>
    m ? Math.round((issuer.perSecond / m.perSecond) * 10) / 10 : undefined;
  const ratio = ratioTo(perMessage);
  const row = (label: string, m: Measurement) =>
    `${label.padEnd(44)} ${String(m.requests).padStart(8)} ${String(m.perSecond).padStart(12)} ${String(m.sustainedPerSecond).padStart(12)} ${m.seconds.toFixed(1).padStart(9)}s`;
  const processes = REPLICAS > 1 ? `${REPLICAS} processes` : '1 process';
  console.log('');
  console.log(
    `${'consumer'.padEnd(44)} ${'requests'.padStart(8)} ${'issued/s'.padStart(12)} ${'sustained/s'.padStart(12)} ${'time'.padStart(10)}`,
  );
  console.log(row(`issuer, v2 batch records of ${BATCH} (${processes})`, issuer));
  if (v1) console.log(row(`issuer, v1 record per shopper (${processes})`, v1));
  if (perMessage) console.log(row(`per-message (seed's way, ${CONCURRENCY} conns)`, perMessage));
  if (ratio !== undefined)
    console.log(`ratio to the per-message way: ${ratio}x (goal ${GOAL.ratio}x)`);
  if (v1) console.log(`ratio to v1 records: ${ratioTo(v1)}x`);
  console.log(
    `goal: ${GOAL.issuancesPerSecond}/s with ${processes}: ${issuer.perSecond >= GOAL.issuancesPerSecond ? 'met' : 'NOT met'}`,
  );
  console.log(
    'issued/s: every request, first consume to last committed row; sustained/s: first committed row to last',
  );
  if (issuer.resultsPublishedSeconds !== undefined) {
    console.log(
      `issuer: all ${N} results published ${issuer.resultsPublishedSeconds.toFixed(1)}s after the first consume`,
    );
  }
  if (issuer.transactions) {
    console.log(
      `issuer transactions: ${issuer.transactions.count}, ${issuer.transactions.meanRequests} requests and ${issuer.transactions.meanSeconds}s each on average; event loop lag p99 ${issuer.transactions.eventLoopLagP99Seconds}s, max ${issuer.transactions.eventLoopLagMaxSeconds}s`,
    );
  }
  if (issuer.transactions) {
    // One event's transactions run one at a time (its row lock): their steps bound the rate.
    const steps = issuer.transactions.stepMicrosPerRequest;
    const total = Object.values(steps).reduce((a, b) => a + b, 0);
    console.log(
      `locked section, µs per request: ${JSON.stringify(steps)} = ${total.toFixed(1)} µs (at most ${Math.round(1e6 / total)}/s for one event)`,
    );
  }
  // The next bottleneck: where each issuance's CPU goes, process by process (the gate
  // and Redis take no part here; the pipeline benchmark measures them).
  console.log(`cpu µs per issuance, v2 run: ${JSON.stringify(microsPerIssuance(issuer))}`);
  if (v1) console.log(`cpu µs per issuance, v1 run: ${JSON.stringify(microsPerIssuance(v1))}`);
  if (perMessage)
    console.log(
      `cpu µs per issuance, per-message run: ${JSON.stringify(microsPerIssuance(perMessage))}`,
    );
  console.log(`load: ${uptime()}`);

  const out = path.join(repoRoot, 'hack/bench/results/issuer.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        benchmark: 'issuer',
        at: new Date().toISOString(),
        machine: machine(),
        partitions: PARTITIONS,
        batch: BATCH,
        issuer: { replicas: REPLICAS, ...issuer, cpuMicrosPerIssuance: microsPerIssuance(issuer) },
        ...(v1 ? { issuerV1: { ...v1, cpuMicrosPerIssuance: microsPerIssuance(v1) } } : {}),
        ...(perMessage
          ? {
              perMessage: {
                concurrency: CONCURRENCY,
                ...perMessage,
                cpuMicrosPerIssuance: microsPerIssuance(perMessage),
              },
            }
          : {}),
        ...(ratio !== undefined ? { ratio } : {}),
        ...(v1 ? { ratioToV1: ratioTo(v1) } : {}),
        goal: GOAL,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${path.relative(repoRoot, out)}`);
}

await main();
process.exit(0);
