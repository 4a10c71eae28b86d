import * as k8s from '@kubernetes/client-node';
import { CouponEventApi, type CouponEventSpecInput } from '@rediclaim/core';

/** Runs `fn` over `items`, `concurrency` at a time. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const ref = (namespace: string) => ({
  group: CouponEventApi.group,
  version: CouponEventApi.version,
  plural: CouponEventApi.plural,
  namespace,
});

const conditions = [
  'Ready',
  'Accepted',
  'Configured',
  'SoldOut',
  'IssuerScaled',
  'CountsAvailable',
];

/**
 * What the API server alone needs for the writes onboarding makes, without the operator:
 * per CouponEvent its create, the finalizer patch, one status patch of the operator's
 * size, and one Kubernetes Event, each kind `concurrency` at a time (and the
 * namespaces). The floor under which no operator can onboard on this machine.
 */
export async function writeFloor(
  kc: k8s.KubeConfig,
  prefix: string,
  namespaces: number,
  perNamespace: number,
  spec: (eventId: string) => CouponEventSpecInput,
  concurrency = 64,
) {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const events = kc.makeApiClient(k8s.EventsV1Api);
  const names = Array.from({ length: namespaces }, (_, i) => `${prefix}-${i}`);
  const items = names.flatMap((ns) =>
    Array.from({ length: perNamespace }, (_, j) => [ns, `sale-${j}`] as const),
  );
  const timed = async (fn: () => Promise<void>) => {
    const start = performance.now();
    await fn();
    return (performance.now() - start) / 1000;
  };
  const status = {
    observedGeneration: 1,
    phase: 'Scheduled',
    stock: 100,
    conditions: conditions.map((type) => ({
      type,
      status: 'True',
      reason: 'Rendered',
      message: 'ConfigMap platform/rediclaim-events-11 holds generation 1 of this event.',
      lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      observedGeneration: 1,
    })),
  };
  const seconds = {
    namespaces: await timed(() =>
      pool(names, concurrency, (name) => core.createNamespace({ body: { metadata: { name } } })),
    ),
    creates: await timed(() =>
      pool(items, concurrency, ([namespace, name]) =>
        custom.createNamespacedCustomObject({
          ...ref(namespace),
          body: {
            apiVersion: CouponEventApi.apiVersion,
            kind: CouponEventApi.kind,
            metadata: { name },
            spec: spec(`${namespace}-${name}`),
          },
        }),
      ),
    ),
    finalizers: await timed(() =>
      pool(items, concurrency, ([namespace, name]) =>
        custom.patchNamespacedCustomObject(
          {
            ...ref(namespace),
            name,
            body: { metadata: { finalizers: [CouponEventApi.finalizer] } },
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        ),
      ),
    ),
    statuses: await timed(() =>
      pool(items, concurrency, ([namespace, name]) =>
        custom.patchNamespacedCustomObjectStatus(
          {
            ...ref(namespace),
            name,
            body: [
              { op: 'add', path: '/status', value: { ...status, eventId: `${namespace}-${name}` } },
            ],
          },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
        ),
      ),
    ),
    events: await timed(() =>
      pool(items, concurrency, ([namespace, name]) =>
        events.createNamespacedEvent({
          namespace,
          body: {
            metadata: { generateName: `${name}-` },
            eventTime: new k8s.V1MicroTime(),
            reportingController: 'rediclaim.io/operator',
            reportingInstance: 'write-floor',
            action: 'Render',
            reason: 'Configured',
            type: 'Normal',
            note: 'ConfigMap platform/rediclaim-events-11 holds generation 1 of this event.',
            regarding: {
              apiVersion: CouponEventApi.apiVersion,
              kind: CouponEventApi.kind,
              name,
              namespace,
            },
          },
        }),
      ),
    ),
  };
  const total = Object.values(seconds).reduce((a, b) => a + b, 0);
  const round = (s: number) => Math.round(s * 10) / 10;
  return {
    events: items.length,
    concurrency,
    seconds: round(total),
    perKind: Object.fromEntries(
      Object.entries(seconds).map(([k, s]) => [
        k,
        {
          seconds: round(s),
          perSecond: Math.round((k === 'namespaces' ? names.length : items.length) / s),
        },
      ]),
    ),
  };
}
