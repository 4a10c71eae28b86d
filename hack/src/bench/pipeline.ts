// The whole-pipeline benchmark: a crowd through gate → Kafka → issuer → MySQL → gate on
// this machine. Prints time to sell out next to the ideal (stock ÷ rate), the time
// until every shopper knows the outcome, and the peak memory of every process.
//
//   node hack/dist/bench/pipeline.js [--users 100000] [--stock 10000] [--rate 2000]
//                                    [--arrival spike|prequeue] [--poll] [--clustered]
//
// spike (default): everybody arrives within the first second after the opening.
// prequeue: everybody joined the pre-queue before the opening, the order is drawn then.
// Shoppers follow the push stream as the page does (polling where a gate refuses it);
// --poll: everybody polls.
// --clustered: on a stack of a Redis Cluster (RC_REDIS_CLUSTER=1: three masters, three
// replicas), three Kafka nodes (RC_KAFKA_NODES=3) and a MariaDB with a semi-synchronous
// replica (RC_MYSQL_REPLICA=1; hack/bench/run's "clustered"), the topics replicated three
// times with min.insync.replicas 2 and the issuer following the primary (MYSQL_HOSTS):
// what replication costs the same sale.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as yaml from 'js-yaml';
import mysql from 'mysql2/promise';
import { repoRoot, stackEnv } from '../testing/env.js';
import { mysqlHostsOf } from '../testing/mysql-replica.js';
import { startLocalPlatform } from '../platform/local-platform.js';
import { runCrowd } from '../crowd/crowd.js';
import { demoCouponEvent } from '../demo/event.js';
import { kubectl } from '../demo/kubectl.js';
import { waitForEventAtGate } from '../demo/wait.js';
import { checkInvariants } from '../demo/invariants.js';
import { machine } from './machine.js';
import { peakRssMiB, pidFromFile } from './memory.js';
import { cpuSeconds } from './process-stats.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '100000' },
    stock: { type: 'string', default: '10000' },
    rate: { type: 'string', default: '2000' },
    gates: { type: 'string', default: '2' },
    arrival: { type: 'string', default: 'spike' },
    poll: { type: 'boolean', default: false },
    clustered: { type: 'boolean', default: false },
  },
});
if (values.arrival !== 'spike' && values.arrival !== 'prequeue')
  throw new Error(`--arrival must be spike or prequeue, not ${values.arrival}`);
const preQueue = values.arrival === 'prequeue';
const push = !values.poll;
const users = Number(values.users);
const stock = Number(values.stock);
const rate = Number(values.rate);

const env = stackEnv();
const clustered = values.clustered;
if (clustered && env.kafkaNodes.length < 3)
  throw new Error(
    `--clustered needs a stack of three Kafka nodes (RC_KAFKA_NODES=3), not ${env.kafkaNodes.length}`,
  );
if (clustered && !env.redisCluster)
  throw new Error('--clustered needs a stack with a Redis Cluster (RC_REDIS_CLUSTER=1)');
if (clustered && !env.mysqlReplica)
  throw new Error('--clustered needs a stack with a MariaDB replica (RC_MYSQL_REPLICA=1)');
const replicated = { KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' };
const platform = await startLocalPlatform({
  env,
  ...(clustered
    ? {
        extraEnv: {
          gate: replicated,
          issuer: { ...replicated, MYSQL_HOSTS: mysqlHostsOf(env) },
          operator: replicated,
        },
      }
    : {}),
  gates: Number(values.gates),
  logDir: path.join(env.stateDir, 'logs'),
  logLevel: 'warn',
  issuerMinReplicas: 1,
  issuerMaxReplicas: 2,
});
/**
 * The servers' processes: Redis (one, or redis-1 … redis-6 of a cluster), every Kafka
 * node, MariaDB (and its replica), the API server.
 */
function serverPids(): Record<string, number | undefined> {
  const redis = env.redisCluster
    ? Object.fromEntries(
        env.redisCluster.nodes.map((n, i) => [`redis-${i + 1}`, pidFromFile(n.pidFile)]),
      )
    : { redis: pidFromFile(env.redisPidFile) };
  const kafka =
    env.kafkaNodes.length === 1
      ? { kafka: pidFromFile(env.kafkaPidFile) }
      : Object.fromEntries(env.kafkaNodes.map((n) => [`kafka-${n.id}`, pidFromFile(n.pidFile)]));
  return {
    ...redis,
    ...kafka,
    mariadb: pidFromFile(env.mariadbPidFile),
    ...(env.mariadbReplicaPidFile
      ? { 'mariadb replica': pidFromFile(env.mariadbReplicaPidFile) }
      : {}),
    'kube-apiserver': pidFromFile(env.apiserverPidFile),
  };
}

try {
  const eventId = `bench-${Date.now().toString(36)}`;
  const event = demoCouponEvent({
    namespace: platform.namespace,
    eventId,
    stock,
    rate,
    // A pre-queue crowd needs the time to join before the opening.
    opensInMs: preQueue ? 8_000 + Math.ceil(users / 5) : 8_000,
    preQueue,
  });
  await kubectl(env.kubeconfig, ['apply', '-f', '-'], yaml.dump(event));
  await waitForEventAtGate(platform.gateUrls[0]!, eventId, 30_000);
  // CPU of every process over the sale: where a shopper's and a coupon's cost goes.
  const pids = (): Record<string, number | undefined> => ({
    operator: platform.operator.pid,
    ...Object.fromEntries(platform.gates().map((g, i) => [`gate-${i}`, g.pid])),
    ...Object.fromEntries(platform.issuerPids().map((pid, i) => [`issuer-${i}`, pid])),
    ...serverPids(),
    'load generator': process.pid,
  });
  const cpuNow = () =>
    Object.fromEntries(
      Object.entries(pids()).map(([name, pid]) => [
        name,
        pid === undefined ? undefined : cpuSeconds(pid),
      ]),
    );
  const opensAt = Date.parse(event.spec.schedule.opensAt);
  const cpuBefore = cpuNow();
  // spike: the crowd is already at the door, everybody arrives in the first second;
  // prequeue: everybody joins during the pre-queue, ending 3 s before the opening.
  if (!preQueue) await new Promise((r) => setTimeout(r, Math.max(0, opensAt - Date.now())));
  const crowdStarted = Date.now();
  const report = await runCrowd({
    gateUrls: platform.gateUrls,
    eventId,
    users,
    arrivalSeconds: preQueue ? Math.max(1, (opensAt - Date.now() - 3_000) / 1000) : 1,
    arrival: preQueue ? 'spread' : 'spike',
    userIdPrefix: `${eventId}-u`,
    connectionsPerGate: 128,
    push,
    // Each stream is a socket of this process, which may open 20,000 files.
    maxOpenStreams: 16_000,
  });
  // From the opening: in the pre-queue, shoppers "know" nothing before it anyway.
  const allKnowMs = crowdStarted + report.allKnowMs - opensAt;

  const cpuAfter = cpuNow();
  const cpu: Record<
    string,
    { seconds: number; perShopperMicros: number; perCouponMicros: number }
  > = {};
  for (const [name, after] of Object.entries(cpuAfter)) {
    // An issuer the operator started during the sale counts from zero.
    if (after === undefined) continue;
    const seconds = Math.round((after - (cpuBefore[name] ?? 0)) * 100) / 100;
    cpu[name] = {
      seconds,
      perShopperMicros: Math.round((seconds / users) * 1e7) / 10,
      perCouponMicros: Math.round((seconds / stock) * 1e7) / 10,
    };
  }
  const conn = await mysql.createConnection(platform.mysqlUrl);
  const [rows] = await conn.query(
    `SELECT UNIX_TIMESTAMP(MAX(c.issued_at)) * 1000 AS last FROM issued_coupons c JOIN coupon_events e ON e.id = c.event_id WHERE e.tenant = ? AND e.event_id = ?`,
    [platform.namespace, eventId],
  );
  await conn.end();
  const soldOutMs = Number((rows as { last: number }[])[0]?.last) - opensAt;
  const invariants = await checkInvariants({
    mysql: platform.mysqlUrl,
    tenant: platform.namespace,
    eventId,
    stock,
    perUserLimit: 1,
    report,
  });

  const memory: Record<string, number | undefined> = Object.fromEntries(
    Object.entries(pids()).map(([name, pid]) => [name, peakRssMiB(pid ?? -1)]),
  );
  const result = {
    scenario: {
      users,
      stock,
      rate,
      gates: platform.gateUrls.length,
      arrival: values.arrival,
      push,
      kafkaNodes: env.kafkaNodes.length,
      replicationFactor: clustered ? 3 : 1,
      redisCluster: !!env.redisCluster,
    },
    idealSoldOutMs: (stock / rate) * 1000,
    soldOutMs,
    allKnowMs,
    requestsPerShopper: Math.round((report.requests / users) * 100) / 100,
    streams: report.streams,
    waitMs: report.waitMs,
    outcomes: report.outcomes,
    errors: report.errors,
    requests: report.requests,
    issuerReplicas: platform.issuerReplicas(),
    peakMemoryMiB: memory,
    cpu,
    invariantsOk: invariants.every((i) => i.ok),
    invariants,
    machine: machine(),
  };
  const s = (n: number) => `${(n / 1000).toFixed(2)} s`;
  console.log(
    `Pipeline: ${users} shoppers (${values.arrival}, ${push ? 'push' : 'polling'}), ${stock} coupons, ${rate} admissions/s${clustered ? ', a Redis Cluster (3 masters, 3 replicas), 3 Kafka nodes, topics replicated 3 times (min.insync.replicas 2), a semi-synchronous MariaDB replica' : ''}`,
  );
  console.log(
    `  time to sell out          ${s(soldOutMs)}   (ideal ${s(result.idealSoldOutMs)}, ${(soldOutMs / result.idealSoldOutMs).toFixed(2)}x)`,
  );
  console.log(`  every shopper knew after  ${s(allKnowMs)} from the opening (goal: 10 s)`);
  console.log(
    `  HTTP requests per shopper ${result.requestsPerShopper} (goal: at most 3)${report.streams ? `; streams ${JSON.stringify(report.streams)}` : ''}`,
  );
  console.log(
    `  wait p50/p95/p99          ${s(report.waitMs.p50)} / ${s(report.waitMs.p95)} / ${s(report.waitMs.p99)}`,
  );
  console.log(`  outcomes                  ${JSON.stringify(report.outcomes)}`);
  console.log(`  errors                    ${JSON.stringify(report.errors)}`);
  console.log(
    `  peak memory (MiB)         ${Object.entries(memory)
      .map(([k, v]) => `${k} ${v ?? '?'}`)
      .join(', ')}`,
  );
  console.log(
    `  cpu µs per shopper        ${Object.entries(cpu)
      .map(([k, v]) => `${k} ${v.perShopperMicros}`)
      .join(', ')}`,
  );
  console.log(
    `  cpu µs per coupon         ${Object.entries(cpu)
      .map(([k, v]) => `${k} ${v.perCouponMicros}`)
      .join(', ')}`,
  );
  console.log(
    `  invariants                ${
      result.invariantsOk
        ? 'all hold'
        : invariants
            .filter((i) => !i.ok)
            .map((i) => `${i.name}: ${i.detail}`)
            .join('; ')
    }`,
  );
  const out = path.join(repoRoot, 'hack/bench/results');
  mkdirSync(out, { recursive: true });
  // pipeline.json: the spike with push (the table's row); the other scenarios beside it.
  const name = `pipeline${clustered ? '-clustered' : ''}${preQueue ? '-prequeue' : ''}${push ? '' : '-poll'}.json`;
  writeFileSync(path.join(out, name), JSON.stringify(result, null, 2));
  process.exitCode = result.invariantsOk ? 0 : 1;
} finally {
  await platform.stop();
}
