// The redemption benchmark: redemptions per second through the issuer's redemption API
// (HTTP, one transaction each: find, lock the coupon, check, insert redemption, audit and
// outbox rows, commit), next to issuance's rate. Coupons are issued first by the real
// issuer from requests loaded as the gate sends them; the outbox relay publishes every
// lifecycle event meanwhile. Then, against one issuer process:
//   redeem   every coupon once, by `--concurrency` clients at a time
//   race     `--racers` orders at once for each of `--race-codes` codes: exactly one wins
//   release  every redemption of the first phase
// and the time the relay takes to publish every event. Writes hack/bench/results/redemption.json.
//
//   node hack/dist/bench/redemption.js [--coupons 20000] [--race-codes 1000] [--racers 8]
//                                      [--concurrency 32]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import { Pool } from 'undici';
import { signingKeysSchema } from '@rediclaim/core';
import { repoRoot, stackEnv } from '../testing/env.js';
import { createTestDatabase } from '../testing/mysql.js';
import { uniqueName } from '../testing/names.js';
import { freePorts } from '../testing/free-ports.js';
import { preload, spawnNode, stopAll } from './issuer-kit.js';
import { machine } from './machine.js';
import { cpuSeconds, uptime } from './process-stats.js';

const { values } = parseArgs({
  options: {
    coupons: { type: 'string', default: '20000' },
    'race-codes': { type: 'string', default: '1000' },
    racers: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '32' },
  },
});
const N = Number(values.coupons);
const RACE_CODES = Number(values['race-codes']);
const RACERS = Number(values.racers);
const CONCURRENCY = Number(values.concurrency);

const env = stackEnv();
const kafka = new Kafka({
  clientId: 'bench-redemption',
  brokers: env.kafkaBrokers,
  logLevel: logLevel.ERROR,
});
const TENANT = 'bench';
const TOKEN = 'bench-redemption-token-of-32-characters';
const SIGNING_KEYS = 'bench=bench-request-signing-secret-of-32-chars';

interface Phase {
  requests: number;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  statuses: Record<string, number>;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** Runs `calls` with `CONCURRENCY` in flight; statuses and latencies of every answer. */
async function phase(
  pool: Pool,
  calls: {
    method: 'POST' | 'GET';
    path: string;
    body?: object;
    headers?: Record<string, string>;
  }[],
): Promise<Phase & { answers: { status: number; body: unknown }[] }> {
  const latencies: number[] = [];
  const answers: { status: number; body: unknown }[] = new Array(calls.length);
  const statuses: Record<string, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < calls.length; i = next++) {
        const call = calls[i]!;
        const at = performance.now();
        const res = await pool.request({
          method: call.method,
          path: call.path,
          headers: {
            authorization: `Bearer ${TOKEN}`,
            ...(call.body ? { 'content-type': 'application/json' } : {}),
            ...call.headers,
          },
          ...(call.body ? { body: JSON.stringify(call.body) } : {}),
        });
        const body = await res.body.json();
        latencies.push(performance.now() - at);
        answers[i] = { status: res.statusCode, body };
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    requests: calls.length,
    seconds: round(seconds),
    perSecond: Math.round(calls.length / seconds),
    latencyMs: {
      p50: round(percentile(latencies, 0.5)),
      p99: round(percentile(latencies, 0.99)),
      max: round(latencies.at(-1) ?? NaN),
    },
    statuses,
    answers,
  };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10 * 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  const logDir = path.join(repoRoot, '.rediclaim', 'bench', 'logs');
  mkdirSync(logDir, { recursive: true });
  console.log(`machine: ${JSON.stringify(machine())}`);
  const name = uniqueName('bench-redemption');
  const topics = {
    requests: `${name}.requests`,
    results: `${name}.results`,
    dead: `${name}.dead`,
    coupons: `${name}.coupons`,
  };
  const db = await createTestDatabase('bench_redemption');
  const conn = await mysql.createConnection(db.url);
  const total = N + RACE_CODES;
  const [adminPort, apiPort] = await freePorts(2);
  const issuer = spawnNode(
    path.join(repoRoot, 'issuer/dist/main.js'),
    {
      MYSQL_URL: db.url,
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      KAFKA_GROUP_ID: `${name}-group`,
      TOPIC_ISSUE_REQUESTS: topics.requests,
      TOPIC_ISSUE_RESULTS: topics.results,
      TOPIC_DEAD_LETTERS: topics.dead,
      TOPIC_COUPONS: topics.coupons,
      COUPON_CODE_SECRET: 'bench-secret-of-at-least-16-chars',
      REQUEST_SIGNING_KEYS: SIGNING_KEYS,
      ISSUER_ADMIN_PORT: String(adminPort),
      ISSUER_API_PORT: String(apiPort),
      ISSUER_API_HOST: '127.0.0.1',
      REDEMPTION_API_KEYS: `${TENANT}=${TOKEN}`,
      LOG_LEVEL: process.env.BENCH_ISSUER_LOG_LEVEL ?? 'warn',
    },
    path.join(logDir, 'issuer-redemption.log'),
  );
  const pool = new Pool(`http://127.0.0.1:${apiPort}`, { connections: CONCURRENCY });
  try {
    await preload(kafka, topics.requests, {
      tenant: TENANT,
      eventId: name,
      n: total,
      format: 'v2',
      batch: 1_000,
      signingKey: signingKeysSchema.parse(SIGNING_KEYS)[0]!,
    });
    const count = async (sql: string) => {
      try {
        const [rows] = await conn.query<mysql.RowDataPacket[]>(sql);
        return Number(rows[0]?.n ?? 0);
      } catch {
        return 0; // not migrated yet
      }
    };
    const issueStarted = Date.now();
    await until(
      'issuance',
      async () => (await count('SELECT COALESCE(SUM(issued), 0) AS n FROM coupon_events')) >= total,
    );
    const issuedSeconds = (Date.now() - issueStarted) / 1000;
    const unpublished = () =>
      count('SELECT COUNT(*) AS n FROM coupon_outbox WHERE published_at IS NULL');
    await until(
      'the relay to publish the CouponIssued events',
      async () => (await unpublished()) === 0,
    );
    const issuedPublishedSeconds = (Date.now() - issueStarted) / 1000;
    console.log(
      `issued ${total} coupons in ${issuedSeconds.toFixed(1)} s (from the issuer's start, migrations included); their CouponIssued events all published after ${issuedPublishedSeconds.toFixed(1)} s`,
    );

    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      'SELECT code, user_id FROM issued_coupons ORDER BY serial',
    );
    const coupons = rows.map((r) => ({ code: String(r.code), userId: String(r.user_id) }));
    const single = coupons.slice(0, N);
    const raced = coupons.slice(N);
    const cpuBefore = cpuSeconds(issuer.pid!) ?? 0;

    const redeem = await phase(
      pool,
      single.map((c, i) => ({
        method: 'POST' as const,
        path: `/v1/tenants/${TENANT}/redemptions`,
        headers: { 'idempotency-key': `bench-${i}` },
        body: { code: c.code, userId: c.userId, orderId: `order-${i}`, orderAmount: 30_000 },
      })),
    );
    const cpuAfterRedeem = cpuSeconds(issuer.pid!) ?? 0;
    console.log(
      `redeem: ${redeem.perSecond}/s ${JSON.stringify(redeem.statuses)} latency ${JSON.stringify(redeem.latencyMs)}`,
    );

    const raceCalls = raced.flatMap((c, i) =>
      Array.from({ length: RACERS }, (_, r) => ({
        method: 'POST' as const,
        path: `/v1/tenants/${TENANT}/redemptions`,
        headers: { 'idempotency-key': `race-${i}-${r}` },
        body: { code: c.code, userId: c.userId, orderId: `race-${i}-${r}`, orderAmount: 30_000 },
      })),
    );
    // Interleaved, so each code's racers are in flight together.
    const interleaved = Array.from({ length: RACERS }, (_, r) =>
      raced.map((_c, i) => raceCalls[i * RACERS + r]!),
    ).flat();
    const race = await phase(pool, interleaved);
    const winners = new Map<string, number>();
    race.answers.forEach((a, i) => {
      if (a.status === 201) {
        const code = interleaved[i]!.body.code;
        winners.set(code, (winners.get(code) ?? 0) + 1);
      }
    });
    const exactlyOne = raced.every((c) => winners.get(c.code) === 1);
    console.log(
      `race: ${race.perSecond} attempts/s ${JSON.stringify(race.statuses)}; exactly one winner per code: ${exactlyOne}`,
    );

    const release = await phase(
      pool,
      redeem.answers.map((a) => ({
        method: 'POST' as const,
        path: `/v1/tenants/${TENANT}/redemptions/${(a.body as { id: string }).id}/release`,
        body: { reason: 'bench' },
      })),
    );
    console.log(`release: ${release.perSecond}/s ${JSON.stringify(release.statuses)}`);
    const relayStarted = Date.now();
    await until(
      'the relay to publish the redemption events',
      async () => (await unpublished()) === 0,
    );
    const relayTailSeconds = (Date.now() - relayStarted) / 1000;

    const issuerBench = (() => {
      try {
        return JSON.parse(
          readFileSync(path.join(repoRoot, 'hack/bench/results/issuer.json'), 'utf8'),
        ) as {
          at: string;
          issuer: { perSecond: number };
        };
      } catch {
        return undefined;
      }
    })();
    const cpuMicrosPerRedemption = Math.round(((cpuAfterRedeem - cpuBefore) / N) * 1e6);
    console.log('');
    console.log(
      `${'operation'.padEnd(46)} ${'per second'.padStart(11)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`,
    );
    const line = (label: string, p: Phase) =>
      console.log(
        `${label.padEnd(46)} ${String(p.perSecond).padStart(11)} ${String(p.latencyMs.p50).padStart(8)} ${String(p.latencyMs.p99).padStart(8)}`,
      );
    line(`redeem (${CONCURRENCY} clients, one code each)`, redeem);
    line(`race (${RACERS} orders per code at once)`, race);
    line('release', release);
    if (issuerBench) {
      const label = `issuance (bench issuer, ${issuerBench.at.slice(0, 10)})`;
      console.log(`${label.padEnd(46)} ${String(issuerBench.issuer.perSecond).padStart(11)}`);
    }
    console.log(
      `issuer CPU per redemption: ${cpuMicrosPerRedemption} µs; every event published ${relayTailSeconds.toFixed(1)} s after the last release`,
    );
    console.log(
      `race: exactly one winner for each of ${RACE_CODES} codes: ${exactlyOne ? 'yes' : 'NO'}`,
    );
    console.log(`load: ${uptime()}`);

    const strip = ({ answers: _a, ...rest }: Phase & { answers: unknown }) => rest;
    const out = path.join(repoRoot, 'hack/bench/results/redemption.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(
      out,
      JSON.stringify(
        {
          benchmark: 'redemption',
          at: new Date().toISOString(),
          machine: machine(),
          coupons: N,
          concurrency: CONCURRENCY,
          redeem: strip(redeem),
          race: { ...strip(race), codes: RACE_CODES, racers: RACERS, exactlyOneWinner: exactlyOne },
          release: strip(release),
          cpuMicrosPerRedemption,
          issuance: {
            thisRun: {
              coupons: total,
              seconds: issuedSeconds,
              eventsPublishedSeconds: issuedPublishedSeconds,
            },
            ...(issuerBench
              ? { issuerBench: { at: issuerBench.at, perSecond: issuerBench.issuer.perSecond } }
              : {}),
          },
          relayTailSeconds,
        },
        null,
        2,
      ),
    );
    if (!exactlyOne) process.exitCode = 1;
  } finally {
    await pool.close();
    await stopAll([issuer]);
    await conn.end();
    const admin = kafka.admin();
    await admin.connect();
    await admin
      .deleteTopics({ topics: Object.values(topics), timeout: 30_000 })
      .catch(() => undefined);
    await admin.disconnect();
    await db.drop().catch(() => undefined);
  }
}

await main();
