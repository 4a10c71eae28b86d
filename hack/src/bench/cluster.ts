// The platform on the real cluster of hack/cluster, as a user installs it: the time from
// `helm install` to the first shopper admitted, a sale's sell-out time next to the ideal
// (stock ÷ rate) with the crowd at the gate's Service, and the failed requests of a sale
// during a rolling upgrade (helm upgrade of the gate and issuer pods, then kubectl
// rollout restart of the gates). Needs root, like hack/cluster.
//
//   node hack/dist/bench/cluster.js [--users 10000] [--stock 2000] [--rate 500]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { clusterUp } from '../cluster/lifecycle.js';
import { Release } from '../cluster/release.js';
import { runClusterSale, type ClusterSale } from '../cluster/sale.js';
import { repoRoot } from '../testing/env.js';
import { uniqueName } from '../testing/names.js';
import { demoCouponEvent } from '../demo/event.js';
import { machine } from './machine.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    stock: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '500' },
  },
});
const users = Number(values.users);
const stock = Number(values.stock);
const rate = Number(values.rate);
const s = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);

const env = await clusterUp();
const id = uniqueName('bench');
const tenant = `${id}-shop`;
const kc = new k8s.KubeConfig();
kc.loadFromFile(env.kubeconfig);
const core = kc.makeApiClient(k8s.CoreV1Api);
await core.createNamespace({ body: { metadata: { name: tenant } } });

const failedRequests = (sale: ClusterSale) => {
  const e = sale.report.errors;
  return e.http5xx + e.http503 + e.http4xx + e.network;
};
const spec = (name: string, stockOf: number, rateOf: number) =>
  demoCouponEvent({
    namespace: tenant,
    eventId: `${id}-${name}`,
    stock: stockOf,
    rate: rateOf,
    opensInMs: 0,
  }).spec;

let release: Release | undefined;
try {
  const installStarted = Date.now();
  // Only this run's tenant: an operator already on the cluster watching everything
  // would share the work (and the numbers).
  release = await Release.install(env, {
    namespace: id,
    values: { operator: { watchNamespaces: [tenant] } },
  });
  const ready = Date.now();
  const sale = await runClusterSale(release, {
    tenant,
    name: 'sale',
    spec: spec('sale', stock, rate),
    users,
    arrivalSeconds: 1,
  });

  // A second sale, of about 30 s, with new gate and issuer pods rolled in while it runs.
  const rollingRate = Math.max(1, Math.round(rate / 5));
  const rollingStock = rollingRate * 30;
  const rolling = await runClusterSale(release, {
    tenant,
    name: 'rolling',
    spec: spec('rolling', rollingStock, rollingRate),
    users: rollingStock * 2,
    arrivalSeconds: 5,
    during: async () => {
      await new Promise((r) => setTimeout(r, 5_000));
      const at = new Date().toISOString();
      await release!.upgrade({
        gate: { podAnnotations: { 'rediclaim.io/restarted-at': at } },
        issuer: { podAnnotations: { 'rediclaim.io/restarted-at': at } },
      });
      await release!.kubectl(['rollout', 'restart', `deployment/${release!.fullname}-gate`]);
      await release!.rolloutStatus('deployment', `${release!.fullname}-gate`);
    },
  });

  const result = {
    scenario: { users, stock, rate },
    installToReadyMs: ready - installStarted,
    installToFirstAdmissionMs:
      sale.report.firstAdmittedAt !== undefined
        ? sale.report.firstAdmittedAt - installStarted
        : undefined,
    idealSoldOutMs: (stock / rate) * 1000,
    soldOutMs: sale.soldOutMs,
    allKnowMs: sale.report.allKnowMs,
    errors: sale.report.errors,
    rollingUpgrade: {
      shoppers: rolling.report.users,
      failedRequests: failedRequests(rolling),
      unavailableCodes: rolling.report.unavailableCodes,
      connectionRetries: rolling.report.connectionRetries,
      requests: rolling.report.requests,
    },
    invariantsOk: [...sale.invariants, ...rolling.invariants].every((i) => i.ok),
    invariants: [...sale.invariants, ...rolling.invariants].filter((i) => !i.ok),
    machine: machine(),
  };
  console.log(
    `Cluster: ${users} shoppers, ${stock} coupons, ${rate} admissions/s through the pods`,
  );
  console.log(`  helm install → ready            ${s(result.installToReadyMs)}`);
  console.log(
    `  helm install → first admission  ${s(result.installToFirstAdmissionMs)}   (goal < 120 s)`,
  );
  console.log(
    `  time to sell out                ${s(result.soldOutMs)}   (ideal ${s(result.idealSoldOutMs)})`,
  );
  console.log(`  every shopper knew after        ${s(result.allKnowMs)}`);
  console.log(
    `  rolling upgrade mid-sale        ${result.rollingUpgrade.failedRequests} failed of ${result.rollingUpgrade.requests} requests (goal 0); ${result.rollingUpgrade.connectionRetries} sent again on a new connection`,
  );
  console.log(
    `  invariants                      ${result.invariantsOk ? 'all hold' : JSON.stringify(result.invariants)}`,
  );
  const out = path.join(repoRoot, 'hack/bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'cluster.json'), JSON.stringify(result, null, 2));
  process.exitCode = result.invariantsOk ? 0 : 1;
} finally {
  // The sales first, while their operator runs to finalize them; then the release.
  await release
    ?.kubectl(['delete', 'couponevents', '--all', '-n', tenant, '--wait', '--timeout=120s'])
    .catch(() => undefined);
  await core.deleteNamespace({ name: tenant }).catch(() => undefined);
  await release?.uninstall().catch(() => undefined);
  await core.deleteNamespace({ name: id }).catch(() => undefined);
}
