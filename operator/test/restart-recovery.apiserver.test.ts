// The operator across a restart of the kube-apiserver it watches: a private API server
// (hack/stack, its own etcd and ports) so no other suite notices. The operator watches
// all namespaces here, with the chart's cluster-wide RBAC.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { ConditionType, type CouponEvent } from '@rediclaim/core';
import { startPrivateStack, type PrivateStack } from '@rediclaim/hack/testing';
import { Fixture, openSpec, type RunningOperator } from './support/fixture.js';

const configured = (e: CouponEvent) =>
  e.status?.conditions?.some((c) => c.type === ConditionType.Configured && c.status === 'True') ??
  false;

describe('an API server restart during a watch', () => {
  let stack: PrivateStack;
  let fx: Fixture;
  let op: RunningOperator;

  beforeAll(async () => {
    stack = await startPrivateStack('op-restart', ['apiserver']);
    const admin = new k8s.KubeConfig();
    admin.loadFromFile(stack.env.kubeconfig);
    fx = await Fixture.create({ admin, kafka: false, allNamespaces: true });
    op = await fx.startOperator({ WATCH_NAMESPACES: '' });
  }, 180_000);
  afterAll(async () => {
    await fx?.cleanup();
    await stack?.destroy();
  });

  it('recovers its watch and its lease, and reconciles what changed after', async () => {
    const tenant = fx.tenants[0]!;
    await fx.apply(tenant, 'survivor', openSpec());
    await fx.waitForStatus(tenant, 'survivor', configured, 'configured');
    const restartsBefore = (await op.operator.metrics.informerRestarts.get()).values.reduce(
      (sum, v) => sum + v.value,
      0,
    );

    await stack.stack('restart', 'apiserver');

    await fx.patchSpec(tenant, 'survivor', { coupon: { stock: 777 } });
    await fx.waitForStatus(
      tenant,
      'survivor',
      (e) => e.status?.stock === 777 && configured(e),
      'stock 777 reconciled after the restart',
      60_000,
    );
    expect((await fx.configEvent(tenant, 'survivor'))?.coupon.stock).toBe(777);
    // A CouponEvent created after the restart is seen too (the watch is live, not just a relist).
    await fx.apply(tenant, 'newcomer', openSpec());
    await fx.waitForStatus(tenant, 'newcomer', configured, 'newcomer configured', 30_000);
    const restartsAfter = (await op.operator.metrics.informerRestarts.get()).values.reduce(
      (sum, v) => sum + v.value,
      0,
    );
    expect(restartsAfter).toBeGreaterThan(restartsBefore);
    expect(op.operator.isLeader).toBe(true);
    expect(op.operator.health().ok).toBe(true);
  }, 120_000);
});
