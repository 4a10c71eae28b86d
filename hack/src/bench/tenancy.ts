// The tenancy benchmark: --namespaces tenants with --per-namespace CouponEvents each
// (1,000 × 10 = 10,000) on a real kube-apiserver (a private one by default, so 10,000
// objects land nowhere else), the operator as a real process, and the gate's config
// source (its real ConfigMap shard watches and events store) in this process:
//  1. onboarding, from cold: an empty API server, the operator running; every namespace
//     and CouponEvent is created as fast as the API server takes them. Measured: the time
//     from the first create until every CouponEvent is Accepted and Configured at its
//     generation and the gate serves it. Goal: under 60 s.
//  2. apply → gate under that load: --samples more applies with the 10,000 in place,
//     one at a time, 100 ms apart (half new CouponEvents, half spec edits), each from
//     sending the request to the gate's store holding that generation: p50, p95, p99.
//     Goal: p99 under 200 ms.
// The events are scheduled (they open in an hour): their counts are not polled, so the
// gate's internal API (the test kit's contract fake) is asked once per reconcile only.
// Prints a table with `uptime` and writes hack/bench/results/tenancy.json.
//
//   npx tsc -b && node hack/dist/bench/tenancy.js [--namespaces 1000] [--per-namespace 10]
//     [--samples 200] [--shards 32] [--concurrency N] [--operator-heap MiB] [--shared]
//     [--profile] [--skip-floor]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { CouponEventApi, DEFAULT_CONFIG_SHARDS, type CouponEventSpecInput } from '@rediclaim/core';
import { ensureDeployment } from '../platform/kube-objects.js';
import { ISSUER_DEPLOYMENT } from '../platform/local-platform.js';
import { ensureCouponEventCrd } from '../testing/crd.js';
import { repoRoot, stackEnv } from '../testing/env.js';
import { startGateAdminFake } from '../testing/gate-admin-fake.js';
import { uniqueName } from '../testing/names.js';
import { freePorts } from '../testing/free-ports.js';
import { startPrivateStack, type PrivateStack } from '../testing/private-stack.js';
import { startService, type ServiceProcess } from '../testing/services.js';
import { CouponEventProgress } from './couponevent-progress.js';
import { GateConfig } from './gate-config.js';
import { pooled } from './kube-pool.js';
import { machine } from './machine.js';
import { peakRssMiB, pidFromFile } from './memory.js';
import { cpuSeconds, percentile, uptime } from './process-stats.js';
import { pool, writeFloor } from './write-floor.js';

const { values } = parseArgs({
  options: {
    namespaces: { type: 'string', default: '1000' },
    'per-namespace': { type: 'string', default: '10' },
    samples: { type: 'string', default: '200' },
    shards: { type: 'string', default: String(DEFAULT_CONFIG_SHARDS) },
    concurrency: { type: 'string', default: '' },
    shared: { type: 'boolean', default: false },
    /** Writes a CPU profile of the operator into .rediclaim/bench-profiles. */
    profile: { type: 'boolean', default: false },
    /** The operator's V8 old space, MiB (--max-old-space-size): does it fit a memory limit? */
    'operator-heap': { type: 'string', default: '' },
    /** Skips measuring what the API server alone needs for the same writes. */
    'skip-floor': { type: 'boolean', default: false },
  },
});
const NAMESPACES = Number(values.namespaces);
const PER_NAMESPACE = Number(values['per-namespace']);
const EVENTS = NAMESPACES * PER_NAMESPACE;
const SAMPLES = Number(values.samples);
const SHARDS = Number(values.shards);
/** Requests in flight while creating; the API server's own limit is 200 mutations. */
const CREATE_CONCURRENCY = 32;
const BASE = 'rediclaim-events';
/** Between the applies of phase 2: about 6 a second, a busy GitOps sync of many tenants. */
const GAP_MS = 100;
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_SECONDS ?? 600) * 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (ms: number) => Math.round(ms * 10) / 10;

function spec(eventId: string, stock = 100): CouponEventSpecInput {
  const now = Date.now();
  return {
    eventId,
    schedule: {
      opensAt: new Date(now + 3_600_000).toISOString(),
      closesAt: new Date(now + 7 * 3_600_000).toISOString(),
    },
    admission: { dispatchPerSecond: 100 },
    coupon: { stock, validity: { validForHours: 24 }, discount: { type: 'percent', percent: 10 } },
  };
}

const ref = (namespace: string) => ({
  group: CouponEventApi.group,
  version: CouponEventApi.version,
  plural: CouponEventApi.plural,
  namespace,
});

async function createPlatform(kc: k8s.KubeConfig, platform: string): Promise<void> {
  await kc.makeApiClient(k8s.CoreV1Api).createNamespace({ body: { metadata: { name: platform } } });
  // The Deployment the operator scales (no kubelet here: nothing runs it).
  await ensureDeployment(kc, platform, ISSUER_DEPLOYMENT, 1);
}

async function startOperator(
  kubeconfig: string,
  platform: string,
  gateUrl: string,
): Promise<{ process: ServiceProcess; metricsUrl: string }> {
  const [port] = await freePorts(1);
  const process = await startService(
    'operator',
    {
      KUBECONFIG: kubeconfig,
      PLATFORM_NAMESPACE: platform,
      GATE_ADMIN_URL: gateUrl,
      OPERATOR_ADMIN_PORT: String(port),
      OPERATOR_ADMIN_HOST: '127.0.0.1',
      POD_NAME: uniqueName('bench-operator'),
      EVENTS_CONFIG_SHARDS: String(SHARDS),
      ...(values.concurrency ? { RECONCILE_CONCURRENCY: values.concurrency } : {}),
      NODE_OPTIONS: [
        values.profile
          ? `--cpu-prof --cpu-prof-dir=${path.join(repoRoot, '.rediclaim', 'bench-profiles')}`
          : '',
        values['operator-heap'] ? `--max-old-space-size=${values['operator-heap']}` : '',
      ].join(' '),
      LOG_LEVEL: 'warn',
    },
    { readyUrl: `http://127.0.0.1:${port}/readyz`, logName: 'bench-tenancy-operator' },
  );
  return { process, metricsUrl: `http://127.0.0.1:${port}/metrics` };
}

/** A few of the operator's counters: what it wrote, and how often its watch was redone. */
async function operatorCounters(metricsUrl: string) {
  const text = await (await fetch(metricsUrl)).text();
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(name))
      .reduce((n, line) => n + Number(line.split(' ').at(-1)), 0);
  return {
    configWrites: sum('rediclaim_operator_config_writes_total'),
    configWrittenMiB: Math.round(sum('rediclaim_operator_config_written_bytes_total') / 2 ** 20),
    informerRestarts: sum('rediclaim_operator_informer_restarts_total'),
    reconcileErrors: sum('controller_runtime_reconcile_errors_total'),
    heapUsedMiB: Math.round(sum('nodejs_heap_size_used_bytes') / 2 ** 20),
    rssMiB: Math.round(sum('process_resident_memory_bytes') / 2 ** 20),
  };
}

/** Phase 1: every namespace and CouponEvent created; the time until all are settled and served. */
async function onboard(kc: k8s.KubeConfig, prefix: string, gate: GateConfig) {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  // A client of its own: the creates' pool must not hold up the watch, nor the reverse.
  const watchKc = new k8s.KubeConfig();
  watchKc.loadFromString(kc.exportConfig());
  const progress = new CouponEventProgress(watchKc);
  await progress.start();
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `${prefix}-${i}`);
  const started = performance.now();
  let created = 0;
  let createdAllAt = 0;
  const creating = pool(namespaces, CREATE_CONCURRENCY, async (namespace) => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    for (let j = 0; j < PER_NAMESPACE; j++) {
      await custom.createNamespacedCustomObject({
        ...ref(namespace),
        body: {
          apiVersion: CouponEventApi.apiVersion,
          kind: CouponEventApi.kind,
          metadata: { name: `sale-${j}` },
          spec: spec(`${namespace}-${j}`),
        },
      });
      created++;
    }
  }).then(() => (createdAllAt = performance.now()));
  let lastLog = started;
  while (progress.settled < EVENTS || gate.store.size < EVENTS) {
    const now = performance.now();
    if (now - started > TIMEOUT_MS) {
      const stuck = progress.unsettled()[0];
      const example = stuck
        ? await custom.getNamespacedCustomObject({
            ...ref(stuck.split('/')[0]!),
            name: stuck.split('/')[1]!,
          })
        : undefined;
      throw new Error(
        `after ${TIMEOUT_MS / 1000} s only ${progress.settled}/${EVENTS} were settled (${gate.store.size} served by the gate); one not settled: ${JSON.stringify(example)}`,
      );
    }
    if (now - lastLog > 5_000) {
      lastLog = now;
      console.log(
        `  ${((now - started) / 1000).toFixed(0)} s: ${created} created, ${progress.settled} settled, ${gate.store.size} served`,
      );
    }
    await sleep(50);
  }
  const settledAt = performance.now();
  await creating;
  progress.stop();
  const watchRestarts = progress.restarts;
  const settled = [...progress.settledAt.values()].map((t) => t - started).sort((a, b) => a - b);
  return {
    events: EVENTS,
    namespaces: NAMESPACES,
    createSeconds: round((createdAllAt - started) / 1000),
    createsPerSecond: Math.round((EVENTS + NAMESPACES) / ((createdAllAt - started) / 1000)),
    settledSeconds: round((settledAt - started) / 1000),
    afterLastCreateSeconds: round((settledAt - createdAllAt) / 1000),
    halfSettledSeconds: round(percentile(settled, 50) / 1000),
    benchWatchRestarts: watchRestarts,
  };
}

/** Phase 2: applies one at a time with the load in place, each until the gate serves it. */
async function applyLatency(kc: k8s.KubeConfig, prefix: string, gate: GateConfig) {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const created: number[] = [];
  const edited: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    // Spread over the namespaces (and so the shards), never the same one twice in a row.
    const namespace = `${prefix}-${(i * 7919) % NAMESPACES}`;
    if (i % 2 === 0) {
      const eventId = `${namespace}-late-${i}`;
      const start = performance.now();
      const served = gate.served(eventId, () => true);
      await custom.createNamespacedCustomObject({
        ...ref(namespace),
        body: {
          apiVersion: CouponEventApi.apiVersion,
          kind: CouponEventApi.kind,
          metadata: { name: `late-${i}` },
          spec: spec(eventId),
        },
      });
      created.push((await served) - start);
    } else {
      const j = i % PER_NAMESPACE;
      const eventId = `${namespace}-${j}`;
      const stock = 1000 + i;
      const start = performance.now();
      const served = gate.served(eventId, (c) => c.coupon.stock === stock);
      await custom.patchNamespacedCustomObject(
        { ...ref(namespace), name: `sale-${j}`, body: { spec: { coupon: { stock } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      edited.push((await served) - start);
    }
    await sleep(GAP_MS);
  }
  const stats = (samples: number[]) => {
    const sorted = [...samples].sort((a, b) => a - b);
    return {
      samples: sorted.length,
      p50Ms: round(percentile(sorted, 50)),
      p95Ms: round(percentile(sorted, 95)),
      p99Ms: round(percentile(sorted, 99)),
      maxMs: round(sorted.at(-1) ?? 0),
    };
  };
  return { all: stats([...created, ...edited]), create: stats(created), edit: stats(edited) };
}

/** What the gate config looks like now: events and bytes per shard. */
async function shardSizes(kc: k8s.KubeConfig, platform: string) {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const sizes = await Promise.all(
    Array.from({ length: SHARDS }, async (_, shard) => {
      const cm = await core.readNamespacedConfigMap({
        namespace: platform,
        name: `${BASE}-${shard}`,
      });
      return Buffer.byteLength(cm.data?.['events.yaml'] ?? '');
    }),
  );
  return {
    minKiB: Math.round(Math.min(...sizes) / 1024),
    maxKiB: Math.round(Math.max(...sizes) / 1024),
  };
}

/**
 * On an API server of its own (so the first one's 10,000 objects do not slow it): the
 * time the same writes take without any operator.
 */
async function measureFloor() {
  console.log('measuring the write floor on a fresh private kube-apiserver ...');
  const floorStack = await startPrivateStack('bench-floor', ['apiserver']);
  cleanups.add(() => floorStack.destroy());
  try {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(floorStack.env.kubeconfig);
    pooled(kc);
    await ensureCouponEventCrd(kc);
    const floor = await writeFloor(kc, uniqueName('bf'), NAMESPACES, PER_NAMESPACE, (id) =>
      spec(id),
    );
    console.log(`write floor: ${floor.seconds} s for ${floor.events} CouponEvents  (${uptime()})`);
    return floor;
  } finally {
    await floorStack.destroy();
  }
}

async function main() {
  let stack: PrivateStack | undefined;
  const gateAdmin = await startGateAdminFake();
  let operator: ServiceProcess | undefined;
  let gate: GateConfig | undefined;
  try {
    let kubeconfig: string;
    let apiserverPid: number | undefined;
    if (values.shared) kubeconfig = stackEnv().kubeconfig;
    else {
      console.log('starting a private kube-apiserver ...');
      stack = await startPrivateStack('bench-tenancy', ['apiserver']);
      const running = stack;
      cleanups.add(() => running.destroy());
      kubeconfig = stack.env.kubeconfig;
      apiserverPid = pidFromFile(stack.env.apiserverPidFile);
    }
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    pooled(kc);
    await ensureCouponEventCrd(kc);
    const prefix = uniqueName('bt');
    const platform = `${prefix}-platform`;
    await createPlatform(kc, platform);
    // The gate's own client, as a gate process has it (no shared pool).
    const gateKc = new k8s.KubeConfig();
    gateKc.loadFromFile(kubeconfig);
    gate = new GateConfig(gateKc, platform, BASE, SHARDS);
    await gate.start();
    const started = await startOperator(kubeconfig, platform, gateAdmin.url);
    operator = started.process;
    cleanups.add(async () => void (await started.process.stop('SIGTERM')));
    const loadBefore = uptime();
    console.log(`before: ${loadBefore}`);
    console.log(`onboarding ${NAMESPACES} namespaces × ${PER_NAMESPACE} CouponEvents ...`);
    const cpuBefore = cpuSeconds(operator.pid) ?? 0;
    const onboarding = await onboard(kc, prefix, gate);
    const operatorCpuSeconds = round((cpuSeconds(operator.pid) ?? 0) - cpuBefore);
    const countersAfterOnboarding = await operatorCounters(started.metricsUrl);
    const loadAfterOnboarding = uptime();
    console.log(
      `all ${EVENTS} settled and served after ${onboarding.settledSeconds} s (created in ${onboarding.createSeconds} s)  (${loadAfterOnboarding})`,
    );
    // Let the tail of the onboarding (Events, resyncs) pass before timing single applies.
    await sleep(5_000);
    const latency = await applyLatency(kc, prefix, gate);
    const loadAfter = uptime();
    console.log(
      `apply → gate: p50 ${latency.all.p50Ms} ms, p95 ${latency.all.p95Ms} ms, p99 ${latency.all.p99Ms} ms  (${loadAfter})`,
    );
    const shards = await shardSizes(kc, platform);
    const peak = {
      operator: peakRssMiB(operator.pid),
      apiserver: apiserverPid === undefined ? undefined : peakRssMiB(apiserverPid),
      benchAndGateConfig: peakRssMiB(process.pid),
    };
    // Everything of the first run stops before the floor is measured, so it has the machine.
    await gate.stop();
    gate = undefined;
    await operator.stop('SIGTERM');
    operator = undefined;
    await stack?.destroy();
    stack = undefined;
    const floor = values['skip-floor'] ? undefined : await measureFloor();

    const result = {
      benchmark: 'tenancy',
      at: new Date().toISOString(),
      machine: machine(),
      apiServer: values.shared ? 'shared test stack' : 'private (hack/stack, embedded etcd)',
      shards: { count: SHARDS, ...shards },
      onboarding: {
        ...onboarding,
        operatorCpuSeconds,
        operator: countersAfterOnboarding,
        goalSeconds: 60,
        loadBefore,
        loadAfter: loadAfterOnboarding,
      },
      applyToGate: { ...latency, goalP99Ms: 200, load: loadAfter },
      writeFloor: floor,
      peakRssMiB: peak,
    };
    console.log('');
    console.table({
      [`onboarding: ${EVENTS} CouponEvents settled and served (s)`]: {
        value: onboarding.settledSeconds,
        goal: '< 60',
      },
      '  of which creating them (s)': { value: onboarding.createSeconds, goal: '' },
      '  after the last create (s)': { value: onboarding.afterLastCreateSeconds, goal: '' },
      '  API server creates/s': { value: onboarding.createsPerSecond, goal: '' },
      '  operator CPU (s)': { value: operatorCpuSeconds, goal: '' },
      '  ConfigMap shard writes (MiB)': {
        value: `${countersAfterOnboarding.configWrites} (${countersAfterOnboarding.configWrittenMiB})`,
        goal: '',
      },
      ...(floor
        ? {
            '  the same writes without the operator (s)': {
              value: floor.seconds,
              goal: 'the floor',
            },
          }
        : {}),
      'apply → gate p50 (ms)': { value: latency.all.p50Ms, goal: '' },
      'apply → gate p95 (ms)': { value: latency.all.p95Ms, goal: '' },
      'apply → gate p99 (ms)': { value: latency.all.p99Ms, goal: '< 200' },
      '  new CouponEvent p50 / p99 (ms)': {
        value: `${latency.create.p50Ms} / ${latency.create.p99Ms}`,
        goal: '',
      },
      '  spec edit p50 / p99 (ms)': {
        value: `${latency.edit.p50Ms} / ${latency.edit.p99Ms}`,
        goal: '',
      },
      [`shard size, ${SHARDS} shards (KiB)`]: {
        value: `${shards.minKiB} to ${shards.maxKiB}`,
        goal: '< 900',
      },
      'operator peak RSS (MiB)': { value: result.peakRssMiB.operator ?? '?', goal: '' },
      '  heap used / RSS after onboarding (MiB)': {
        value: `${countersAfterOnboarding.heapUsedMiB} / ${countersAfterOnboarding.rssMiB}`,
        goal: '',
      },
      'kube-apiserver peak RSS (MiB)': { value: result.peakRssMiB.apiserver ?? '?', goal: '' },
    });
    const file = path.join(repoRoot, 'hack', 'bench', 'results', 'tenancy.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${path.relative(repoRoot, file)}`);
  } finally {
    await gate?.stop();
    await operator?.stop('SIGTERM');
    await gateAdmin.close();
    await stack?.destroy();
  }
}

// `timeout` or Ctrl-C must not leave a private kube-apiserver running: stop the stacks.
const cleanups = new Set<() => Promise<void>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
  });

await main();
process.exit(0);
