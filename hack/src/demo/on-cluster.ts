// `npm run cluster`: rediclaim on a real Kubernetes cluster on this machine. hack/cluster
// brings up the node (containerd, kubelet, the control plane) with images built here; the
// chart is installed as a user installs it; a CouponEvent is applied with kubectl; a crowd
// goes through the gate's Service; the invariants are checked against the MariaDB pod.
import * as yaml from 'js-yaml';
import { clusterUp } from '../cluster/lifecycle.js';
import { Release } from '../cluster/release.js';
import { runClusterSale } from '../cluster/sale.js';
import type { CrowdProgress } from '../crowd/crowd.js';
import { parseDemoArgs } from './args.js';
import { demoCouponEvent } from './event.js';
import { kubectl } from './kubectl.js';
import { printSummary } from './summary.js';
import { progressLine, runDemo } from './progress.js';

const say = (line: string) => console.log(`[rediclaim] ${line}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const platformNamespace = 'rediclaim';
const shopNamespace = 'shop';

async function main(): Promise<number> {
  const args = parseDemoArgs(process.argv.slice(2), {
    command: 'npm run cluster',
    users: 5_000,
    stock: 1_000,
    rate: 500,
  });
  say('bringing up the cluster (hack/cluster up: the first run builds binaries and images)');
  const env = await clusterUp((line) => say(line));

  const installStarted = Date.now();
  say(
    `helm upgrade --install rediclaim charts/rediclaim -n ${platformNamespace} (bundled Redis, Kafka, MariaDB)`,
  );
  const release = await Release.install(env, {
    namespace: platformNamespace,
    values: { gate: { replicas: args.gates } },
  });
  const installed = Date.now();
  say(`installed and ready in ${seconds(installed - installStarted)}`);
  console.log((await release.kubectl(['get', 'pods', '-o', 'wide'])).trimEnd());

  const eventId = `demo-${new Date().toISOString().slice(11, 19).replace(/:/g, '')}`;
  const event = demoCouponEvent({
    namespace: shopNamespace,
    eventId,
    stock: args.stock,
    rate: args.rate,
    opensInMs: 0,
  });
  await kubectl(env.kubeconfig, ['create', 'namespace', shopNamespace]).catch(() => undefined);
  say(
    `kubectl apply: CouponEvent ${shopNamespace}/${eventId}, ${args.stock} coupons, ${args.rate} admissions/s, open now; ${args.users} shoppers arrive over ${args.arrivalSeconds} s at the gate's Service and poll until they know their outcome`,
  );
  const { report, invariants, soldOutMs } = await runClusterSale(release, {
    tenant: shopNamespace,
    name: eventId,
    spec: event.spec,
    apply: () => kubectl(env.kubeconfig, ['apply', '-f', '-'], yaml.dump(event)).then(() => {}),
    users: args.users,
    arrivalSeconds: args.arrivalSeconds,
    userIdPrefix: `${eventId}-shopper-`,
    onProgress: (p: CrowdProgress) => say(progressLine(p)),
  });
  console.log();
  console.log(
    (
      await kubectl(env.kubeconfig, ['get', 'couponevents', '-n', shopNamespace, eventId])
    ).trimEnd(),
  );
  console.log();
  printSummary(args, report, invariants, [
    ['sold out after', soldOutMs !== undefined ? seconds(soldOutMs) : 'not sold out'],
    ['helm install → ready', seconds(installed - installStarted)],
    [
      'helm install → first admission',
      report.firstAdmittedAt ? seconds(report.firstAdmittedAt - installStarted) : 'none',
    ],
  ]);
  say(
    [
      'the cluster and the release keep running. Try:',
      `  . ${env.stateDir}/env; kubectl get couponevents -A; kubectl get pods -n ${platformNamespace}`,
      `  curl -s -XPOST '${await release.gateUrl()}/v1/events/${eventId}/queue?userId=me'`,
      '  hack/cluster down     stops the cluster (hack/cluster purge also deletes its data)',
    ].join('\n'),
  );
  return invariants.every((i) => i.ok) ? 0 : 1;
}

runDemo('the cluster demo', main);
