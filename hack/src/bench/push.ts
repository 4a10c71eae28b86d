// Push streams at scale: 10,000 shoppers waiting with an open stream each on ONE gate
// process. Prints the gate's memory with and without them (per stream), then opens the
// sale (10,000 coupons at 2,000/s, an issuer answering at once over Kafka) and prints
// the delay from each outcome decided (the issuer's decidedAt) to its frame read off its
// shopper's stream in this process (p50/p99/max): end to end, Kafka both ways, recording,
// the notice, the read, the frame and this process's own parsing; beside it the gate's
// decided → recorded histogram, which tells the Kafka and recording part apart. Then
// when the last shopper knew, next to the ideal (stock ÷ rate).
//
//   node hack/dist/bench/push.js [--streams 10000] [--rate 2000]
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Partitioners } from 'kafkajs';
import { Agent, Pool } from 'undici';
import {
  IssueOutcome,
  decodeIssueRequests,
  encodeIssueResults,
  eventConfigSchema,
  renderEventsConfig,
  signRecords,
  signingKeysSchema,
  type IssueResult,
} from '@rediclaim/core';
import { freePorts } from '../testing/free-ports.js';
import { createTestTopics, deleteTestTopics, testKafka } from '../testing/kafka.js';
import { repoRoot, stackEnv } from '../testing/env.js';
import { uniqueName } from '../testing/names.js';
import { startService } from '../testing/services.js';
import { waitFor } from '../testing/wait.js';
import { histogramQuantile, parseMetrics } from '../testing/metrics-text.js';
import { followStream } from '../crowd/push-follow.js';
import { percentiles } from '../crowd/percentiles.js';
import { machine } from './machine.js';
import { rssMiB } from './memory.js';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '2000' },
  },
});
const STREAMS = Number(values.streams);
const RATE = Number(values.rate);
const TENANT = 'bench-push';
/** The gate's, which signs its requests and records only results signed with it. */
const SIGNING_KEYS = 'bench=bench-request-signing-secret-of-32-chars';
const SIGNING_KEY = signingKeysSchema.parse(SIGNING_KEYS)[0]!;
const EVENT_ID = uniqueName('push');

const env = stackEnv();
const topics = {
  requests: uniqueName('bench-push-req'),
  results: uniqueName('bench-push-res'),
  dl: uniqueName('bench-push-dl'),
};
await createTestTopics([
  { topic: topics.requests, numPartitions: 3 },
  { topic: topics.results, numPartitions: 3 },
  { topic: topics.dl, numPartitions: 1 },
]);
const dir = path.join(os.tmpdir(), uniqueName('bench-push'));
mkdirSync(dir, { recursive: true });
const eventsFile = path.join(dir, 'events.yaml');
const writeEvent = (mode: 'paused' | 'fifo') =>
  writeFileSync(
    eventsFile,
    renderEventsConfig([
      eventConfigSchema.parse({
        id: EVENT_ID,
        tenant: TENANT,
        generation: mode === 'paused' ? 1 : 2,
        schedule: { opensAt: new Date(Date.now() - 60_000).toISOString() },
        admission: { dispatchPerSecond: RATE, mode },
        coupon: {
          stock: STREAMS,
          validity: { validForHours: 24 },
          discount: { type: 'percent', percent: 10 },
        },
      }),
    ]),
  );
writeEvent('paused');

const [port, adminPort] = await freePorts(2);
const gate = await startService(
  'gate',
  {
    REDIS_URL: env.redisUrl,
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    EVENTS_FILE: eventsFile,
    GATE_PORT: String(port),
    GATE_ADMIN_PORT: String(adminPort),
    GATE_HOST: '127.0.0.1',
    TOPIC_ISSUE_REQUESTS: topics.requests,
    TOPIC_ISSUE_RESULTS: topics.results,
    TOPIC_DEAD_LETTERS: topics.dl,
    TOPIC_PARTITIONS: '3',
    KAFKA_GROUP_ID: uniqueName('bench-push-gate'),
    GATE_COUPONS_ENABLED: 'false',
    TICKET_SECRET: 'bench-ticket-secret-of-at-least-32-chars',
    REQUEST_SIGNING_KEYS: SIGNING_KEYS,
    ENQUEUE_RATE_LIMIT_MAX: '0',
    POLL_RATE_LIMIT_MAX: '0',
    GATE_PUSH_MAX_STREAMS_PER_CLIENT: '0',
    GATE_PUSH_MAX_STREAMS: String(STREAMS + 100),
    LOG_LEVEL: 'warn',
    // To profile the gate: BENCH_GATE_NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
    ...(process.env.BENCH_GATE_NODE_OPTIONS
      ? { NODE_OPTIONS: process.env.BENCH_GATE_NODE_OPTIONS }
      : {}),
  },
  { readyUrl: `http://127.0.0.1:${adminPort}/readyz`, timeoutMs: 60_000 },
);

// The issuer, answering every request at once: ISSUED until the stock is gone.
const kafka = testKafka('bench-push-issuer');
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
const consumer = kafka.consumer({ groupId: uniqueName('bench-push-issuer') });
await consumer.connect();
await consumer.subscribe({ topic: topics.requests, fromBeginning: true });
let issued = 0;
await consumer.run({
  eachBatch: async ({ batch }) => {
    const results: IssueResult[] = [];
    for (const message of batch.messages) {
      for (const request of decodeIssueRequests(message.value).values) {
        const now = new Date().toISOString();
        const serial = ++issued;
        results.push({
          type: 'IssueResult',
          version: 1,
          requestId: request.requestId,
          tenant: request.tenant,
          eventId: request.eventId,
          userId: request.userId,
          ticket: request.ticket,
          ...(request.uid ? { uid: request.uid } : {}),
          stock: request.policy.stock,
          remaining: Math.max(0, request.policy.stock - serial),
          decidedAt: now,
          outcome: IssueOutcome.Issued,
          coupon: {
            code: `P${String(serial).padStart(11, '0')}`,
            serial,
            discount: request.policy.discount,
            validFrom: now,
            validUntil: now,
            issuedAt: now,
          },
        });
      }
    }
    if (results.length)
      await producer.send({
        topic: topics.results,
        acks: -1,
        messages: signRecords(encodeIssueResults(results), SIGNING_KEY),
      });
  },
});

const base = `http://127.0.0.1:${port}`;
const pool = new Pool(base, { connections: 64 });
const streamAgent = new Agent({ connections: null, pipelining: 0 });
try {
  console.log(`[push] ${STREAMS} shoppers join (event ${EVENT_ID}, paused)`);
  const tickets: string[] = new Array<string>(STREAMS);
  for (let i = 0; i < STREAMS; i += 500)
    await Promise.all(
      Array.from({ length: Math.min(500, STREAMS - i) }, async (_, j) => {
        const res = await pool.request({
          method: 'POST',
          path: `/v1/events/${EVENT_ID}/queue?userId=s${i + j}`,
        });
        tickets[i + j] = ((await res.body.json()) as { ticket: string }).ticket;
      }),
    );
  await new Promise((r) => setTimeout(r, 2_000));
  const rssBefore = rssMiB(gate.pid) ?? NaN;

  console.log(`[push] ${STREAMS} streams open`);
  const told = new Array<number>(STREAMS).fill(0);
  const delays: number[] = [];
  let firstFrames = 0;
  let lastKnew = 0;
  let fellBack = 0;
  const openStarted = Date.now();
  const follow = (ticket: string, i: number) => {
    let first = true;
    return followStream(
      `${base}/v1/events/${EVENT_ID}/queue/me/stream?ticket=${encodeURIComponent(ticket)}`,
      streamAgent,
      (body) => {
        const b = body as { status: string; decidedAt?: string };
        if (first) {
          first = false;
          firstFrames++;
        }
        if (b.status === 'ISSUED' && b.decidedAt && told[i] === 0) {
          const now = Date.now();
          told[i] = now;
          lastKnew = Math.max(lastKnew, now);
          delays.push(now - Date.parse(b.decidedAt));
        }
      },
      () => undefined,
    ).then((end) => {
      if (end.kind !== 'fallback') return;
      fellBack++;
      // Refused or broken before its first status: that is not coming.
      if (first) {
        first = false;
        firstFrames++;
      }
    });
  };
  // In waves, as the joins: 10,000 connects at once overflow the gate's accept backlog
  // (511), and a dropped SYN is retried after 1, 3, 7 s, past the connect timeout.
  const streams: Promise<void>[] = [];
  for (let i = 0; i < STREAMS; i += 500) {
    for (let j = i; j < Math.min(i + 500, STREAMS); j++) streams.push(follow(tickets[j]!, j));
    await waitFor(
      'a wave of streams to tell its first status',
      () => firstFrames >= Math.min(i + 500, STREAMS),
      120_000,
      10,
    );
  }
  const openMs = Date.now() - openStarted;
  // Let the sockets settle and the heap grow to its size with them.
  await new Promise((r) => setTimeout(r, 3_000));
  const rssWith = rssMiB(gate.pid) ?? NaN;

  console.log(`[push] the sale opens: ${STREAMS} coupons at ${RATE}/s`);
  const opened = Date.now();
  writeEvent('fifo');
  await Promise.race([
    Promise.all(streams),
    new Promise((r) => setTimeout(r, 120_000 + (STREAMS / RATE) * 1000)),
  ]);
  const [p50, p95, p99, max] = percentiles(delays, [50, 95, 99, 100]);
  // Where the delay goes: the gate's own histogram of decided → recorded (Kafka, the
  // results consumer, recordResults); the rest is the notice, the read and the frame.
  const metrics = parseMetrics(await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text());
  const lagMs = (q: number) => {
    const s = histogramQuantile(metrics, 'rediclaim_gate_result_lag_seconds', q);
    return s === undefined ? undefined : Math.round(s * 1000);
  };
  const recordedMs = { p50: lagMs(0.5), p99: lagMs(0.99) };
  const result = {
    streams: STREAMS,
    rate: RATE,
    fellBack,
    toldIssued: delays.length,
    openAllMs: openMs,
    gateRssMiB: { before: rssBefore, withStreams: rssWith },
    perStreamKiB: Math.round(((rssWith - rssBefore) * 1024 * 10) / STREAMS) / 10,
    deliveryMs: { p50: p50!, p95: p95!, p99: p99!, max: max! },
    decidedToRecordedMs: recordedMs,
    idealSoldOutMs: Math.round((STREAMS / RATE) * 1000),
    allKnewMs: lastKnew - opened,
    goal: { deliveryP99Ms: 1000 },
    machine: machine(),
  };
  console.log(
    [
      `streams open on one gate      ${STREAMS} (all first frames after ${(openMs / 1000).toFixed(1)} s; refused or broken: ${fellBack})`,
      `gate memory (RSS)             ${rssBefore} MiB without streams, ${rssWith} MiB with them: ${result.perStreamKiB} KiB per stream`,
      `outcome decided → on stream   p50 ${p50} ms, p95 ${p95} ms, p99 ${p99} ms, max ${max} ms (goal: p99 < 1000 ms)`,
      `  of which decided → recorded p50 ${recordedMs.p50} ms, p99 ${recordedMs.p99} ms (the gate's result lag histogram: Kafka and recordResults)`,
      `told ISSUED                   ${delays.length} of ${STREAMS}`,
      `everyone knew after           ${((lastKnew - opened) / 1000).toFixed(2)} s from the opening (ideal sell-out ${(result.idealSoldOutMs / 1000).toFixed(2)} s)`,
    ].join('\n'),
  );
  const out = path.join(repoRoot, 'hack/bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'push.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  // destroy, not close: close would wait for streams that never ended (a failed run).
  await streamAgent.destroy().catch(() => undefined);
  await pool.close();
  await consumer.disconnect();
  await producer.disconnect();
  await gate.stop('SIGTERM');
  await deleteTestTopics(Object.values(topics)).catch(() => undefined);
}
