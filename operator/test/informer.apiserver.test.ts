// The informer against the real API server of the test stack, on ConfigMaps of a
// namespace of its own (the informer is generic; CouponEvents get the same code).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { CouponEventApi, backoffDelay, type CouponEvent } from '@rediclaim/core';
import {
  createTestNamespace,
  ensureCouponEventCrd,
  testKubeConfig,
  type TestNamespace,
} from '@rediclaim/hack/testing';
import { pino } from 'pino';
import { Informer, type InformerRestartReason } from '../src/runtime/informer.js';
import { couponEventsPath } from '../src/reconcilers/couponevent/couponevent-api.js';
import { openSpec, waitFor } from './support/fixture.js';

type ConfigMap = k8s.V1ConfigMap & { metadata: { name: string; namespace: string } };

/** The operator's: 250 ms doubling, capped at 10 s. */
const backoff = (attempt: number) => backoffDelay(attempt, { baseMs: 250, capMs: 10_000 });

describe('the informer (real API server)', () => {
  const kc = testKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let ns: TestNamespace;
  const informers: { stop(): Promise<void> }[] = [];

  beforeAll(async () => {
    ns = await createTestNamespace('op-inf');
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'before' }, data: { v: '1' } },
    });
  });
  afterAll(async () => {
    await Promise.all(informers.map((i) => i.stop()));
    await ns?.delete();
  });

  function start(options: { resumeFrom?: string } = {}) {
    const seen: string[] = [];
    const restarts: InformerRestartReason[] = [];
    let resyncs = 0;
    const informer = new Informer<ConfigMap>({
      kubeConfig: kc,
      pathFor: (namespace) => `/api/v1/namespaces/${namespace}/configmaps`,
      namespaces: [ns.name],
      logger: pino({ level: 'silent' }),
      resyncMs: 300,
      backoff,
      ...options,
      onRestart: (reason) => restarts.push(reason),
      handlers: {
        onAdd: (o) => seen.push(`add ${o.metadata.name} ${o.data?.v ?? ''}`),
        onUpdate: (_p, o) => seen.push(`update ${o.metadata.name} ${o.data?.v ?? ''}`),
        onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
        onResync: () => (resyncs += 1),
      },
    });
    informers.push(informer);
    informer.start();
    return { informer, seen, restarts, resyncs: () => resyncs };
  }

  it('lists, then delivers adds, updates and deletes from the watch, and resyncs', async () => {
    const { informer, seen, resyncs } = start();
    await informer.waitForSync();
    expect(informer.hasSynced()).toBe(true);
    expect(seen).toContain('add before 1');
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'during' }, data: { v: 'a' } },
    });
    await core.patchNamespacedConfigMap(
      { namespace: ns.name, name: 'during', body: { data: { v: 'b' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedConfigMap({ namespace: ns.name, name: 'during' });
    await waitFor('the delete', () => seen.includes('delete during'));
    expect(seen.filter((s) => s.includes('during'))).toEqual([
      'add during a',
      'update during b',
      'delete during',
    ]);
    expect(informer.get(`${ns.name}/during`)).toBeUndefined();
    expect(informer.get(`${ns.name}/before`)?.data).toEqual({ v: '1' });
    await waitFor('a resync', () => resyncs() > 0);
  });

  it('lists again when the server no longer has its resourceVersion (410 Gone)', async () => {
    // On CouponEvents, not ConfigMaps: a custom resource's watch cache starts at the
    // revision its CRD was established, so resourceVersion "1" is always too old there
    // and the server answers 410. (The ConfigMap cache of a fresh API server starts near
    // revision 1 and would replay history from "1" instead.)
    await ensureCouponEventCrd(kc);
    const { group, version, plural } = CouponEventApi;
    const created = (name: string) =>
      custom.createNamespacedCustomObject({
        group,
        version,
        plural,
        namespace: ns.name,
        body: {
          apiVersion: `${group}/${version}`,
          kind: 'CouponEvent',
          metadata: { name },
          spec: openSpec(),
        },
      });
    await created('before-relist');
    const seen: string[] = [];
    const restarts: InformerRestartReason[] = [];
    const informer = new Informer<CouponEvent & { metadata: { name: string; namespace: string } }>({
      kubeConfig: kc,
      pathFor: couponEventsPath,
      namespaces: [ns.name],
      logger: pino({ level: 'silent' }),
      resyncMs: 60_000,
      backoff,
      resumeFrom: '1',
      onRestart: (reason) => restarts.push(reason),
      handlers: { onAdd: (o) => seen.push(o.metadata.name) },
    });
    informers.push(informer);
    informer.start();
    await informer.waitForSync();
    expect(restarts).toContain('expired');
    expect(seen).toContain('before-relist');
    await created('after-relist');
    await waitFor('the watch after the relist', () => seen.includes('after-relist'));
  });

  it('redoes a watch the server ends, without losing events', async () => {
    const seen: string[] = [];
    const restarts: InformerRestartReason[] = [];
    const informer = new Informer<ConfigMap>({
      kubeConfig: kc,
      pathFor: (namespace) => `/api/v1/namespaces/${namespace}/configmaps`,
      namespaces: [ns.name],
      logger: pino({ level: 'silent' }),
      resyncMs: 60_000,
      backoff,
      watchTimeoutSeconds: [1, 1],
      onRestart: (reason) => restarts.push(reason),
      handlers: { onAdd: (o) => seen.push(o.metadata.name) },
    });
    informers.push(informer);
    informer.start();
    await informer.waitForSync();
    await waitFor('the server to end a watch', () => restarts.includes('closed'), 10_000);
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'between-watches' } },
    });
    await waitFor('the next watch to deliver', () => seen.includes('between-watches'));
  });
});
