// `npm start`: rediclaim on this machine, end to end. Brings up the real dependencies
// (hack/stack), runs operator, gates and issuers as processes, applies a CouponEvent
// with kubectl, sends a crowd through the waiting room, and checks the invariants
// against MySQL. See hack/up for the shell part (install, build).
import * as yaml from 'js-yaml';
import path from 'node:path';
import { stackEnv } from '../testing/env.js';
import { startLocalPlatform } from '../platform/local-platform.js';
import { runCrowd, type CrowdProgress } from '../crowd/crowd.js';
import { parseDemoArgs } from './args.js';
import { demoCouponEvent } from './event.js';
import { kubectl } from './kubectl.js';
import { checkInvariants } from './invariants.js';
import { runCheckout } from './checkout.js';
import { printSummary } from './summary.js';
import { progressLine, runDemo } from './progress.js';
import { waitForEventAtGate } from './wait.js';

const say = (line: string) => console.log(`[rediclaim] ${line}`);
const CHECKOUT_ORDERS = 30;

async function main(): Promise<number> {
  const args = parseDemoArgs(process.argv.slice(2));
  const env = stackEnv();
  const logDir = path.join(env.stateDir, 'logs');
  say(
    `starting operator, ${args.gates} gate(s) and the issuer (logs in ${path.relative(process.cwd(), logDir)}/)`,
  );
  const platform = await startLocalPlatform({
    env,
    gates: args.gates,
    logDir,
    issuerMinReplicas: 1,
    issuerMaxReplicas: 2,
    onIssuerReplicas: (n) =>
      say(`issuer replicas: ${n} (the operator scaled the rediclaim-issuer Deployment)`),
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say(
      'stopping the platform (the dependencies keep running: RC_STACK=local hack/stack down stops them)',
    );
    await platform.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(143)));

  try {
    const eventId = `demo-${new Date().toISOString().slice(11, 19).replace(/:/g, '')}`;
    const event = demoCouponEvent({
      namespace: platform.namespace,
      eventId,
      stock: args.stock,
      rate: args.rate,
      opensInMs: 6_000,
    });
    say(
      `kubectl apply: CouponEvent ${platform.namespace}/${eventId}, ${args.stock} coupons, ${args.rate} admissions/s, opens ${event.spec.schedule.opensAt}`,
    );
    await kubectl(env.kubeconfig, ['apply', '-f', '-'], yaml.dump(event));
    await waitForEventAtGate(platform.gateUrls[0]!, eventId, 30_000);
    const opensIn = Date.parse(event.spec.schedule.opensAt) - Date.now();
    if (opensIn > 0) {
      say(`the gate knows the event; the sale opens in ${(opensIn / 1000).toFixed(1)} s`);
      await new Promise((r) => setTimeout(r, opensIn));
    }

    say(
      `${args.users} shoppers arrive over ${args.arrivalSeconds} s, join the queue and ${args.poll ? 'poll their status' : 'follow their pushed status (polling where a gate refuses a stream)'} until they know their outcome`,
    );
    const report = await runCrowd({
      gateUrls: platform.gateUrls,
      eventId,
      users: args.users,
      arrivalSeconds: args.arrivalSeconds,
      userIdPrefix: `${eventId}-shopper-`,
      // As the waiting-room page: the status pushed, polling where a gate refuses a stream.
      push: !args.poll,
      onProgress: (p: CrowdProgress) => say(progressLine(p)),
    });
    console.log();
    console.log(
      (
        await kubectl(env.kubeconfig, ['get', 'couponevents', '-n', platform.namespace, eventId])
      ).trimEnd(),
    );
    console.log();
    const invariants = await checkInvariants({
      mysql: platform.mysqlUrl,
      tenant: platform.namespace,
      eventId,
      stock: args.stock,
      perUserLimit: 1,
      report,
    });
    const winners = report.outcomes.ISSUED ?? 0;
    say(
      `checkout: ${Math.min(CHECKOUT_ORDERS, winners)} winners order with their coupon; every third payment is declined and the coupon released (the saga in hack/src/saga)`,
    );
    const checkout = await runCheckout(platform, report, {
      orders: CHECKOUT_ORDERS,
      brokers: env.kafkaBrokers,
    });
    const count = (state: string) => checkout.outcomes.filter((o) => o.state === state).length;
    invariants.push(...checkout.checks);
    printSummary(args, report, invariants, [
      [
        'checkout',
        `${count('COMPLETED')} orders paid with their coupon, ${count('COMPENSATED')} declined and released, ${count('REJECTED')} rejected (${checkout.seconds.toFixed(1)} s)`,
      ],
    ]);
    if (args.keep) {
      say(
        [
          'still running. Try:',
          `  the waiting room:  ${platform.gateUrls[0]}/events/${eventId}`,
          `  curl -s -XPOST '${platform.gateUrls[0]}/v1/events/${eventId}/queue?userId=me'`,
          `  KUBECONFIG=${env.kubeconfig} kubectl get couponevents -A`,
          'Ctrl-C stops the platform.',
        ].join('\n'),
      );
      await new Promise(() => undefined);
    }
    return invariants.every((i) => i.ok) ? 0 : 1;
  } finally {
    if (!args.keep) await stop();
  }
}

runDemo('the demo', main);
