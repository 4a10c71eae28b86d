// One table from the benchmarks' JSON files (hack/bench/results/*.json), with the
// goals beside the figures; writes hack/bench/results/summary.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../testing/env.js';
import { machine } from './machine.js';

const dir = path.join(repoRoot, 'hack/bench/results');
const read = <T>(name: string): T | undefined => {
  const file = path.join(dir, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
};

interface GateRow {
  scenario: string;
  op: string;
  load: string;
  baseline: { rps: number; p99: number };
  gate: { rps: number; p50: number; p99: number };
  ratio: number;
}
const rows: [string, string, string][] = [];
const gate = read<{ results: GateRow[] }>('gate');
for (const r of gate?.results ?? []) {
  rows.push([
    `gate ${r.op}, ${r.scenario}, ${r.load}`,
    `${r.gate.rps} req/s, p50 ${r.gate.p50} ms, p99 ${r.gate.p99} ms (baseline ${r.baseline.rps} req/s, p99 ${r.baseline.p99} ms; ratio ${r.ratio})`,
    r.load === 'max' ? '>= 0.8 of baseline' : 'p99 < 50 ms',
  ]);
}
const issuer = read<{
  issuer: { perSecond: number; replicas: number };
  // absent after --skip-baseline / --skip-v1
  perMessage?: { perSecond: number };
  issuerV1?: { perSecond: number };
  ratio?: number;
  goal: { issuancesPerSecond: number; ratio: number };
}>('issuer');
if (issuer) {
  const against = [
    issuer.perMessage
      ? `${issuer.perMessage.perSecond}/s one transaction per message (${issuer.ratio}x)`
      : undefined,
    issuer.issuerV1 ? `${issuer.issuerV1.perSecond}/s from v1 records` : undefined,
  ].filter(Boolean);
  rows.push([
    `issuer, ${issuer.issuer.replicas} replica, v2 batch records`,
    `${issuer.issuer.perSecond} issuances/s${against.length > 0 ? ` vs ${against.join(', ')}` : ''}`,
    `>= ${issuer.goal.issuancesPerSecond.toLocaleString('en')}/s and >= ${issuer.goal.ratio}x`,
  ]);
}
const redemption = read<{
  redeem: { perSecond: number; latencyMs: { p99: number } };
  race: { perSecond: number; exactlyOneWinner: boolean };
  release: { perSecond: number };
}>('redemption');
if (redemption) {
  rows.push([
    'redemption API, 1 issuer',
    `${redemption.redeem.perSecond} redemptions/s (p99 ${redemption.redeem.latencyMs.p99} ms), ${redemption.release.perSecond} releases/s; racing orders: ${redemption.race.exactlyOneWinner ? 'one winner per code' : 'MORE THAN ONE WINNER'}`,
    'exactly one winner per code',
  ]);
}
const operator = read<{
  applyToConfig: { p50Ms: number; p95Ms: number };
  coldStart: { events: number; seconds: number };
}>('operator');
if (operator) {
  rows.push([
    'operator apply → config',
    `p50 ${operator.applyToConfig.p50Ms} ms, p95 ${operator.applyToConfig.p95Ms} ms`,
    'p50 < 1 s',
  ]);
  rows.push([
    `operator cold start`,
    `${operator.coldStart.events} CouponEvents in ${operator.coldStart.seconds} s`,
    '< 60 s',
  ]);
}
const tenancy = read<{
  onboarding: { events: number; namespaces: number; settledSeconds: number; createSeconds: number };
  applyToGate: { all: { p50Ms: number; p95Ms: number; p99Ms: number } };
  shards: { count: number; maxKiB: number };
  writeFloor?: { seconds: number };
}>('tenancy');
if (tenancy) {
  const o = tenancy.onboarding;
  const a = tenancy.applyToGate.all;
  rows.push([
    `tenancy: ${o.namespaces} namespaces, ${o.events} CouponEvents from cold`,
    `all Accepted, Configured and served by the gate after ${o.settledSeconds} s (created in ${o.createSeconds} s; ${tenancy.shards.count} shards, largest ${tenancy.shards.maxKiB} KiB)${tenancy.writeFloor ? `; the API server alone needs ${tenancy.writeFloor.seconds} s for the same writes` : ''}`,
    '< 60 s',
  ]);
  rows.push([
    'tenancy: apply → gate config under that load',
    `p50 ${a.p50Ms} ms, p95 ${a.p95Ms} ms, p99 ${a.p99Ms} ms`,
    'p99 < 200 ms',
  ]);
}
interface PipelineResult {
  scenario: {
    users: number;
    stock: number;
    rate: number;
    arrival?: string;
    push?: boolean;
    kafkaNodes?: number;
    replicationFactor?: number;
    redisCluster?: boolean;
  };
  idealSoldOutMs: number;
  soldOutMs: number;
  allKnowMs: number;
  requestsPerShopper?: number;
  peakMemoryMiB: Record<string, number | undefined>;
  invariantsOk: boolean;
}
for (const name of ['pipeline', 'pipeline-prequeue', 'pipeline-clustered']) {
  const pipeline = read<PipelineResult>(name);
  if (!pipeline) continue;
  const s = pipeline.scenario;
  rows.push([
    `pipeline ${s.users} shoppers (${s.arrival ?? 'spike'}, ${s.push === false ? 'polling' : 'push'}), ${s.stock} coupons, ${s.rate}/s${s.redisCluster ? ', a Redis Cluster' : ''}${(s.kafkaNodes ?? 1) > 1 ? `, ${s.kafkaNodes} Kafka nodes, replication factor ${s.replicationFactor}` : ''}`,
    `sold out in ${(pipeline.soldOutMs / 1000).toFixed(2)} s (ideal ${(pipeline.idealSoldOutMs / 1000).toFixed(2)} s); all knew after ${(pipeline.allKnowMs / 1000).toFixed(2)} s; ${pipeline.requestsPerShopper ?? '?'} requests per shopper; invariants ${pipeline.invariantsOk ? 'hold' : 'BROKEN'}`,
    'sold out within ideal + 1 s; all know within 10 s; <= 3 requests per shopper',
  ]);
  rows.push([
    `${name} peak memory (MiB)`,
    Object.entries(pipeline.peakMemoryMiB)
      .map(([k, v]) => `${k} ${v ?? '?'}`)
      .join(', '),
    '',
  ]);
}
const push = read<{
  streams: number;
  perStreamKiB: number;
  gateRssMiB: { before: number; withStreams: number };
  deliveryMs: { p50: number; p99: number; max: number };
  allKnewMs: number;
  idealSoldOutMs: number;
}>('push');
if (push) {
  rows.push([
    `push ${push.streams} streams on one gate`,
    `outcome → stream p50 ${push.deliveryMs.p50} ms, p99 ${push.deliveryMs.p99} ms; gate ${push.gateRssMiB.withStreams} MiB (${push.perStreamKiB} KiB per stream); all knew after ${(push.allKnewMs / 1000).toFixed(2)} s (ideal ${(push.idealSoldOutMs / 1000).toFixed(2)} s)`,
    'p99 < 1 s',
  ]);
}
const cluster = read<{
  scenario: { users: number; stock: number; rate: number };
  installToFirstAdmissionMs?: number;
  idealSoldOutMs: number;
  soldOutMs?: number;
  allKnowMs: number;
  rollingUpgrade: { failedRequests: number; requests: number };
  invariantsOk: boolean;
}>('cluster');
if (cluster) {
  const c = cluster.scenario;
  const sec = (ms: number | undefined) =>
    ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`;
  rows.push([
    'cluster: helm install → first admission',
    sec(cluster.installToFirstAdmissionMs),
    '< 120 s warm',
  ]);
  rows.push([
    `cluster sale ${c.users} shoppers, ${c.stock} coupons, ${c.rate}/s`,
    `sold out in ${sec(cluster.soldOutMs)} (ideal ${sec(cluster.idealSoldOutMs)}); all knew after ${sec(cluster.allKnowMs)}; invariants ${cluster.invariantsOk ? 'hold' : 'BROKEN'}`,
    'sold out near the ideal',
  ]);
  rows.push([
    'cluster rolling upgrade mid-sale',
    `${cluster.rollingUpgrade.failedRequests} failed of ${cluster.rollingUpgrade.requests} requests`,
    '0 failed',
  ]);
}
const m = machine();
console.log(`Benchmarks on ${m.cores} × ${m.cpus}, ${m.memoryGiB} GiB, Node ${m.node}`);
const w0 = Math.max(...rows.map((r) => r[0].length));
for (const [what, result, goal] of rows)
  console.log(`  ${what.padEnd(w0)}  ${result}${goal ? `   [goal: ${goal}]` : ''}`);
writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ machine: m, rows }, null, 2));
