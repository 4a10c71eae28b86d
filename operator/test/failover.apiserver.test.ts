// Two operator processes (node operator/dist/main.js, as the chart's ServiceAccount)
// share one Lease on the real API server: one acts, the other stays ready and idle, and
// takes over within the lease duration when the leader is SIGKILLed. Needs a build:
// `npx tsc -b operator`.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConditionType, type CouponEvent } from '@rediclaim/core';
import { freePorts, startService, uniqueName, type ServiceProcess } from '@rediclaim/hack/testing';
import { Fixture, openSpec, waitFor } from './support/fixture.js';

const configured = (e: CouponEvent) =>
  e.status?.conditions?.some((c) => c.type === ConditionType.Configured && c.status === 'True') ??
  false;

interface Replica {
  pod: string;
  admin: string;
  process: ServiceProcess;
}

async function metric(replica: Replica, name: string): Promise<number> {
  const text = await (await fetch(`${replica.admin}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      sum += Number(line.split(' ').at(-1));
  return sum;
}

describe('two operator processes, one leader', () => {
  let fx: Fixture;
  const replicas: Replica[] = [];

  async function startReplica(): Promise<Replica> {
    const [port] = await freePorts(1);
    const pod = uniqueName('operator');
    const admin = `http://127.0.0.1:${port}`;
    const process = await startService(
      'operator',
      fx.env({
        KUBECONFIG: fx.kubeconfigFile,
        OPERATOR_ADMIN_PORT: String(port),
        OPERATOR_ADMIN_HOST: '127.0.0.1',
        POD_NAME: pod,
        LOG_LEVEL: 'info',
      }),
      { readyUrl: `${admin}/readyz` },
    );
    const replica = { pod, admin, process };
    replicas.push(replica);
    return replica;
  }

  beforeAll(async () => {
    fx = await Fixture.create({ kafka: false });
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.process.stop('SIGKILL')));
    await fx?.cleanup();
  });

  it('acts through one replica only, and fails over within the lease duration when it is killed', async () => {
    const [a, b] = [await startReplica(), await startReplica()];
    const holder = await waitFor('a lease holder', () => fx.leaseHolder());
    const leader = holder === a.pod ? a : b;
    const follower = leader === a ? b : a;
    expect([a.pod, b.pod]).toContain(holder);

    const tenant = fx.tenants[0]!;
    await fx.apply(tenant, 'relay', openSpec());
    await fx.waitForStatus(tenant, 'relay', configured, 'configured by the leader');
    expect(await metric(leader, 'leader_election_master_status')).toBe(1);
    expect(await metric(follower, 'leader_election_master_status')).toBe(0);
    expect(await metric(leader, 'controller_runtime_reconcile_total')).toBeGreaterThan(0);
    // The follower is ready (warm cache) but has reconciled nothing.
    expect((await fetch(`${follower.admin}/readyz`)).status).toBe(200);
    expect(await metric(follower, 'controller_runtime_reconcile_total')).toBe(0);
    // What its cache holds it describes all the same.
    expect(await metric(follower, 'rediclaim_couponevent_info')).toBe(1);

    const killed = Date.now();
    await leader.process.stop('SIGKILL');
    await waitFor(
      'the follower to hold the lease',
      async () => (await fx.leaseHolder()) === follower.pod,
      15_000,
    );
    const takeover = Date.now() - killed;
    // LEASE_DURATION_SECONDS=4, retry every 0.5 s: within the lease time (plus a retry and slack).
    expect(takeover).toBeLessThan(4_000 + 1_500);

    await fx.patchSpec(tenant, 'relay', { coupon: { stock: 321 } });
    await fx.waitForStatus(
      tenant,
      'relay',
      (e) => e.status?.stock === 321 && configured(e),
      'stock 321',
    );
    expect((await fx.configEvent(tenant, 'relay'))?.coupon.stock).toBe(321);
    expect(await metric(follower, 'leader_election_master_status')).toBe(1);

    // A graceful stop releases the lease: nobody holds it afterwards.
    expect(await follower.process.stop('SIGTERM')).toBe(0);
    expect(await fx.leaseHolder()).toBeUndefined();
    expect(follower.process.logs()).toMatch(/released the lease/);
  });

  it('exits with code 2 and names the variable when a setting is bad', async () => {
    const process = await startService('operator', {
      KUBECONFIG: fx.kubeconfigFile,
      PLATFORM_NAMESPACE: fx.platform,
      GATE_ADMIN_URL: 'not a url',
    });
    expect(await process.exited).toBe(2);
    expect(process.logs()).toMatch(
      /GATE_ADMIN_URL: must be a URL starting with http:\/\/ or https:\/\//,
    );
  });
});
