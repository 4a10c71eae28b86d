// The operator benchmark, against a real kube-apiserver (a private one by default, so
// 500 CouponEvents land nowhere else) with the operator as a real process:
//  1. apply → config applied: the time from sending a spec change (kubectl patch) to the
//     gate ConfigMap shard holding it, seen through a watch on the shards (what the gate
//     does), over --applies sequential changes: p50, p95, max. Goal: p50 under 1 s.
//  2. cold start: --events CouponEvents exist, the operator starts; the time until every
//     one has its finalizer, a status at its generation with Configured=True, and an
//     entry in the ConfigMap. Goal: under 60 s for 500.
// Prints a table with `uptime` and writes hack/bench/results/operator.json.
//
//   npx tsc -b operator hack && node hack/dist/bench/operator.js [--applies 50] [--events 500] [--shared]
//
// The gate's internal API (counts) is the contract fake of the test kit: the operator's
// work, not the gate's, is what is measured.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import {
  CouponEventApi,
  ConditionType,
  EVENTS_CONFIG_KEY,
  parseEventsConfig,
  type CouponEvent,
  type CouponEventSpecInput,
} from '@rediclaim/core';
import { ensureDeployment } from '../platform/kube-objects.js';
import { ISSUER_DEPLOYMENT } from '../platform/local-platform.js';
import { ensureCouponEventCrd } from '../testing/crd.js';
import { repoRoot, stackEnv } from '../testing/env.js';
import { startGateAdminFake } from '../testing/gate-admin-fake.js';
import { uniqueName } from '../testing/names.js';
import { freePorts } from '../testing/free-ports.js';
import { startPrivateStack, type PrivateStack } from '../testing/private-stack.js';
import { startService, type ServiceProcess } from '../testing/services.js';
import { machine } from './machine.js';
import { peakRssMiB } from './memory.js';
import { cpuSeconds, percentile, uptime } from './process-stats.js';

const { values } = parseArgs({
  options: {
    applies: { type: 'string', default: '50' },
    events: { type: 'string', default: '500' },
    shared: { type: 'boolean', default: false },
  },
});
const APPLIES = Number(values.applies);
const EVENTS = Number(values.events);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function spec(stock: number): CouponEventSpecInput {
  const now = Date.now();
  return {
    schedule: {
      opensAt: new Date(now - 3_600_000).toISOString(),
      closesAt: new Date(now + 6 * 3_600_000).toISOString(),
    },
    admission: { dispatchPerSecond: 100 },
    coupon: { stock, validity: { validForHours: 24 }, discount: { type: 'percent', percent: 10 } },
  };
}

interface Setup {
  kc: k8s.KubeConfig;
  kubeconfigFile: string;
  platform: string;
  tenant: string;
}

async function namespaces(
  kc: k8s.KubeConfig,
  prefix: string,
): Promise<Omit<Setup, 'kc' | 'kubeconfigFile'>> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const platform = uniqueName(prefix);
  const tenant = `${platform}-shop`;
  for (const name of [platform, tenant])
    await core.createNamespace({
      body: { metadata: { name, labels: { 'rediclaim.io/bench': 'true' } } },
    });
  await ensureDeployment(kc, platform, ISSUER_DEPLOYMENT, 1);
  return { platform, tenant };
}

async function startOperator(
  setup: Setup,
  gateUrl: string,
): Promise<{ process: ServiceProcess; admin: string }> {
  const [port] = await freePorts(1);
  const admin = `http://127.0.0.1:${port}`;
  const service = await startService(
    'operator',
    {
      KUBECONFIG: setup.kubeconfigFile,
      PLATFORM_NAMESPACE: setup.platform,
      WATCH_NAMESPACES: setup.tenant,
      GATE_ADMIN_URL: gateUrl,
      OPERATOR_ADMIN_PORT: String(port),
      OPERATOR_ADMIN_HOST: '127.0.0.1',
      POD_NAME: uniqueName('bench-operator'),
      // All of them in one namespace: past the default quota of 100 per namespace.
      MAX_EVENTS_PER_NAMESPACE: '0',
      LOG_LEVEL: 'warn',
    },
    { readyUrl: `${admin}/readyz`, logName: 'bench-operator' },
  );
  return { process: service, admin };
}

const ref = (namespace: string) => ({
  group: CouponEventApi.group,
  version: CouponEventApi.version,
  plural: CouponEventApi.plural,
  namespace,
});

/**
 * Watches the events ConfigMap shards (one watch of the platform namespace: the bench
 * runs as admin) and calls `onConfig` with the events of all shards on every change.
 */
async function watchConfigMap(
  setup: Setup,
  onConfig: (events: { id: string; stock: number }[]) => void,
): Promise<AbortController> {
  const watch = new k8s.Watch(setup.kc);
  const shards = new Map<string, { id: string; stock: number }[]>();
  return watch.watch(
    `/api/v1/namespaces/${setup.platform}/configmaps`,
    { labelSelector: 'app.kubernetes.io/component=events-config' },
    (_type, object: k8s.V1ConfigMap) => {
      const text = object.data?.[EVENTS_CONFIG_KEY];
      if (!text) return;
      shards.set(
        object.metadata?.name ?? '',
        parseEventsConfig(text, 'bench').events.map((e) => ({ id: e.id, stock: e.coupon.stock })),
      );
      onConfig([...shards.values()].flat());
    },
    () => undefined,
  );
}

async function applyLatency(setup: Setup, gateUrl: string) {
  const custom = setup.kc.makeApiClient(k8s.CustomObjectsApi);
  const operator = await startOperator(setup, gateUrl);
  let latest: number | undefined;
  let waiter: (() => void) | undefined;
  const controller = await watchConfigMap(setup, (events) => {
    latest = events.find((e) => e.id === 'latency')?.stock;
    waiter?.();
  });
  const waitForStock = async (stock: number) => {
    const deadline = Date.now() + 30_000;
    while (latest !== stock) {
      if (Date.now() > deadline) throw new Error(`the ConfigMap never held stock ${stock}`);
      await new Promise<void>((resolve) => {
        waiter = resolve;
        setTimeout(resolve, 1_000);
      });
    }
  };
  try {
    await custom.createNamespacedCustomObject({
      ...ref(setup.tenant),
      body: {
        apiVersion: CouponEventApi.apiVersion,
        kind: CouponEventApi.kind,
        metadata: { name: 'latency' },
        spec: spec(1000),
      },
    });
    await waitForStock(1000);
    const samples: number[] = [];
    for (let i = 1; i <= APPLIES; i++) {
      const stock = 1000 + i;
      const start = performance.now();
      await custom.patchNamespacedCustomObject(
        { ...ref(setup.tenant), name: 'latency', body: { spec: { coupon: { stock } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await waitForStock(stock);
      samples.push(performance.now() - start);
      await sleep(50);
    }
    samples.sort((a, b) => a - b);
    return {
      applies: samples.length,
      p50Ms: Math.round(percentile(samples, 50)),
      p95Ms: Math.round(percentile(samples, 95)),
      maxMs: Math.round(samples.at(-1)!),
      operatorPeakRssMiB: peakRssMiB(operator.process.pid),
    };
  } finally {
    controller.abort();
    await operator.process.stop('SIGTERM');
  }
}

async function coldStart(setup: Setup, gateUrl: string) {
  const custom = setup.kc.makeApiClient(k8s.CustomObjectsApi);
  const names = Array.from({ length: EVENTS }, (_, i) => `sale-${String(i).padStart(4, '0')}`);
  // Create them all before the operator exists (8 at a time).
  for (let i = 0; i < names.length; i += 8)
    await Promise.all(
      names.slice(i, i + 8).map((name) =>
        custom.createNamespacedCustomObject({
          ...ref(setup.tenant),
          body: {
            apiVersion: CouponEventApi.apiVersion,
            kind: CouponEventApi.kind,
            metadata: { name },
            spec: spec(100),
          },
        }),
      ),
    );
  let inConfig = 0;
  const controller = await watchConfigMap(setup, (events) => (inConfig = events.length));
  // Which CouponEvents are done, from a watch (polling a list of 500 would load the API
  // server the operator is being measured against).
  const done = new Set<string>();
  const isDone = (e: CouponEvent) =>
    !!e.metadata.finalizers?.includes(CouponEventApi.finalizer) &&
    e.status?.observedGeneration === e.metadata.generation &&
    !!e.status?.conditions?.some((c) => c.type === ConditionType.Configured && c.status === 'True');
  const listed = (await custom.listNamespacedCustomObject(ref(setup.tenant))) as {
    metadata: { resourceVersion: string };
  };
  const events = await new k8s.Watch(setup.kc).watch(
    `/apis/${CouponEventApi.group}/${CouponEventApi.version}/namespaces/${setup.tenant}/${CouponEventApi.plural}`,
    { resourceVersion: listed.metadata.resourceVersion },
    (_type, e: CouponEvent) => {
      if (isDone(e)) done.add(e.metadata.name!);
      else done.delete(e.metadata.name!);
    },
    () => undefined,
  );
  const loadBefore = uptime();
  const started = performance.now();
  const operator = await startOperator(setup, gateUrl);
  const ready = performance.now() - started;
  try {
    while (done.size < EVENTS || inConfig < EVENTS) {
      if (performance.now() - started > 300_000)
        throw new Error(
          `after 300 s only ${done.size}/${EVENTS} were reconciled (${inConfig} in the ConfigMap)`,
        );
      await sleep(50);
    }
    return {
      events: EVENTS,
      seconds: Math.round((performance.now() - started) / 10) / 100,
      operatorCpuSeconds: cpuSeconds(operator.process.pid),
      operatorReadySeconds: Math.round(ready / 10) / 100,
      operatorPeakRssMiB: peakRssMiB(operator.process.pid),
      loadBefore,
      loadAfter: uptime(),
    };
  } finally {
    controller.abort();
    events.abort();
    await operator.process.stop('SIGTERM');
  }
}

async function main() {
  let stack: PrivateStack | undefined;
  const gate = await startGateAdminFake();
  try {
    let kubeconfigFile: string;
    if (values.shared) kubeconfigFile = stackEnv().kubeconfig;
    else {
      console.log('starting a private kube-apiserver ...');
      stack = await startPrivateStack('bench-op', ['apiserver']);
      kubeconfigFile = stack.env.kubeconfig;
    }
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfigFile);
    await ensureCouponEventCrd(kc);
    console.log(`before: ${uptime()}`);
    const latencySetup = { kc, kubeconfigFile, ...(await namespaces(kc, 'bench-lat')) };
    const latency = await applyLatency(latencySetup, gate.url);
    const latencyLoad = uptime();
    console.log(
      `apply → ConfigMap: p50 ${latency.p50Ms} ms, p95 ${latency.p95Ms} ms  (${latencyLoad})`,
    );
    const coldSetup = { kc, kubeconfigFile, ...(await namespaces(kc, 'bench-cold')) };
    const cold = await coldStart(coldSetup, gate.url);
    console.log(`cold start, ${cold.events} CouponEvents: ${cold.seconds} s  (${cold.loadAfter})`);

    const result = {
      benchmark: 'operator',
      at: new Date().toISOString(),
      machine: machine(),
      apiServer: values.shared ? 'shared test stack' : 'private (hack/stack, embedded etcd)',
      applyToConfig: { ...latency, goalP50Ms: 1000, load: latencyLoad },
      coldStart: { ...cold, goalSeconds: 60 },
    };
    console.log('');
    console.table({
      'apply → ConfigMap p50 (ms)': { value: latency.p50Ms, goal: '< 1000' },
      'apply → ConfigMap p95 (ms)': { value: latency.p95Ms, goal: '' },
      'apply → ConfigMap max (ms)': { value: latency.maxMs, goal: '' },
      [`cold start, ${cold.events} events (s)`]: { value: cold.seconds, goal: '< 60' },
      'operator ready after start (s)': { value: cold.operatorReadySeconds, goal: '' },
      'operator CPU during the cold start (s)': { value: cold.operatorCpuSeconds ?? '?', goal: '' },
      'operator peak RSS (MiB)': { value: cold.operatorPeakRssMiB ?? '?', goal: '' },
    });
    console.log(`uptime: ${cold.loadAfter}`);
    const file = path.join(repoRoot, 'hack', 'bench', 'results', 'operator.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`wrote ${path.relative(repoRoot, file)}`);
  } finally {
    await gate.close();
    await stack?.destroy();
  }
}

await main();
process.exit(0);
