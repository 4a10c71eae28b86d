// The chart against the real API server of the test stack (kube-apiserver built from
// source, RBAC on): every rendered object is accepted by a server-side dry run with strict
// field validation and no PodSecurity "restricted" warning; a real `helm install` gives
// each ServiceAccount exactly the access its service needs (checked with TokenRequest
// tokens and SelfSubjectAccessReviews); `helm upgrade` keeps what the operator wrote; and
// the real operator and gate run with the chart's ServiceAccounts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import * as yaml from 'js-yaml';
import {
  CouponEventApi,
  DEFAULT_CONFIG_SHARDS,
  configShardName,
  configShardOf,
} from '@rediclaim/core';
import {
  createTestTopics,
  ensureCouponEventCrd,
  freePorts,
  repoRoot,
  startService,
  stackEnv,
  testKubeConfig,
  uniqueName,
  type ServiceProcess,
} from '@rediclaim/hack/testing';
import {
  can,
  chartDir,
  describeAccess,
  dryRunCreate,
  everythingOn,
  externalDeps,
  helm,
  kindValues,
  render,
  serviceAccountKubeConfig,
  type Access,
  type Values,
} from './support/chart.js';

const kc = testKubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);

/** A namespace whose pods must meet the "restricted" Pod Security Standard. */
async function restrictedNamespace(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await core.createNamespace({
    body: {
      metadata: {
        name,
        labels: {
          'rediclaim.io/test': 'true',
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    },
  });
  return name;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('every rendered object passes a server-side dry run', () => {
  const namespaces: string[] = [];
  afterAll(async () => {
    for (const ns of namespaces) await core.deleteNamespace({ name: ns }).catch(() => undefined);
  });

  it.each<[string, (tenants: string[]) => Values]>([
    ['the defaults (bundled dependencies)', () => ({})],
    ['external Redis, Kafka and MySQL', () => externalDeps],
    ['the values hack/kind/up installs', () => kindValues()],
    [
      'HPA, NetworkPolicies, Ingress and watched namespaces',
      (tenants) => ({ ...everythingOn, operator: { watchNamespaces: tenants } }),
    ],
  ])('with %s', async (_name, values) => {
    const ns = await restrictedNamespace('rc-dry');
    const tenants = [await restrictedNamespace('rc-dry-t'), await restrictedNamespace('rc-dry-t')];
    namespaces.push(ns, ...tenants);
    const objects = await render(values(tenants), ns);
    // ServiceMonitor and PrometheusRule need the Prometheus Operator's CRDs: helm
    // template covers them (hack/test/monitoring.test.ts checks the rules themselves).
    const applicable = objects.filter(
      (o) => !['ServiceMonitor', 'PrometheusRule'].includes(o.kind),
    );
    const problems: string[] = [];
    for (const obj of applicable) {
      const res = await dryRunCreate(kc, obj);
      const where = `${obj.kind}/${obj.metadata.name}`;
      if (res.status !== 201)
        problems.push(`${where}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      for (const w of res.warnings) problems.push(`${where}: warning: ${w}`);
    }
    expect(problems).toEqual([]);
    expect(applicable.length).toBeGreaterThan(15);
  });
});

describe('a real helm install into a namespace', () => {
  let platform: string;
  let tenant: string;
  let other: string;
  const release = 'rediclaim';

  beforeAll(async () => {
    await ensureCouponEventCrd(kc);
    platform = await restrictedNamespace('rc-helm');
    tenant = await restrictedNamespace('rc-helm-shop');
    other = await restrictedNamespace('rc-helm-other');
    const result = await helm(['install', release, chartDir, '-n', platform]);
    if (!result.ok) throw new Error(`helm install failed: ${result.stderr}`);
  });

  afterAll(async () => {
    await helm(['uninstall', release, '-n', platform]);
    for (const ns of [platform, tenant, other])
      await core.deleteNamespace({ name: ns }).catch(() => undefined);
  });

  const check = async (sa: string, expected: [Access, boolean][]) => {
    const saKc = await serviceAccountKubeConfig(platform, sa, kc);
    const wrong: string[] = [];
    for (const [access, allowed] of expected) {
      if ((await can(saKc, access)) !== allowed)
        wrong.push(`${sa} ${allowed ? 'may not' : 'may'} ${describeAccess(access)}`);
    }
    expect(wrong).toEqual([]);
  };

  it("lets the operator's ServiceAccount do what the operator needs, and no more", async () => {
    // What operator/src calls (its README's "Permissions"); the rules are the operator's.
    const ce = { group: 'rediclaim.io', resource: 'couponevents' };
    const cm = { resource: 'configmaps', namespace: platform };
    const scale = { group: 'apps', resource: 'deployments', subresource: 'scale' };
    const lease = { group: 'coordination.k8s.io', resource: 'leases' };
    const events = { group: 'events.k8s.io', resource: 'events' };
    await check('rediclaim-operator', [
      // CouponEvents in every tenant namespace: the informer, the finalizer, the status.
      [{ ...ce, verb: 'list', namespace: tenant }, true],
      [{ ...ce, verb: 'watch', namespace: other }, true],
      [{ ...ce, verb: 'patch', namespace: tenant, name: 'sale' }, true],
      [{ ...ce, verb: 'patch', subresource: 'status', namespace: tenant, name: 'sale' }, true],
      [{ ...events, verb: 'create', namespace: tenant }, true],
      // The platform namespace: the gate's ConfigMap shards, the issuer's scale, the Lease.
      [{ ...cm, verb: 'create' }, true],
      [{ ...cm, verb: 'get', name: 'rediclaim-events-0' }, true],
      [{ ...cm, verb: 'update', name: 'rediclaim-events-0' }, true],
      [{ ...cm, verb: 'update', name: 'rediclaim-events-31' }, true],
      [{ ...scale, verb: 'get', namespace: platform, name: 'rediclaim-issuer' }, true],
      [{ ...scale, verb: 'patch', namespace: platform, name: 'rediclaim-issuer' }, true],
      [{ ...lease, verb: 'create', namespace: platform }, true],
      [{ ...lease, verb: 'update', namespace: platform, name: 'rediclaim-operator' }, true],
      // Not beyond them.
      [{ ...ce, verb: 'create', namespace: tenant }, false],
      [{ ...ce, verb: 'delete', namespace: tenant, name: 'sale' }, false],
      [{ ...cm, verb: 'get', name: 'rediclaim-kafka' }, false],
      [{ ...cm, verb: 'update', name: 'rediclaim-events-32' }, false],
      [{ ...cm, verb: 'create', namespace: tenant }, false],
      [{ ...scale, verb: 'patch', namespace: platform, name: 'rediclaim-gate' }, false],
      [{ ...scale, verb: 'patch', namespace: tenant, name: 'rediclaim-issuer' }, false],
      [
        {
          group: 'apps',
          resource: 'deployments',
          verb: 'update',
          namespace: platform,
          name: 'rediclaim-issuer',
        },
        false,
      ],
      [
        {
          group: 'apps',
          resource: 'deployments',
          verb: 'delete',
          namespace: platform,
          name: 'rediclaim-issuer',
        },
        false,
      ],
      [{ ...lease, verb: 'update', namespace: platform, name: 'someone-else' }, false],
      [{ ...lease, verb: 'create', namespace: tenant }, false],
      // Never secrets, pods, RBAC or the CRD.
      [{ verb: 'get', resource: 'secrets', namespace: platform, name: 'rediclaim-secrets' }, false],
      [{ verb: 'list', resource: 'secrets', namespace: tenant }, false],
      [{ verb: 'list', resource: 'pods', namespace: platform }, false],
      [
        { verb: 'create', resource: 'pods', subresource: 'exec', namespace: platform, name: 'x' },
        false,
      ],
      [
        {
          verb: 'create',
          group: 'rbac.authorization.k8s.io',
          resource: 'rolebindings',
          namespace: platform,
        },
        false,
      ],
      [
        {
          verb: 'update',
          group: 'apiextensions.k8s.io',
          resource: 'customresourcedefinitions',
          name: CouponEventApi.crdName,
        },
        false,
      ],
    ]);
  });

  it("lets the gate's ServiceAccount read the events ConfigMap shards and nothing else", async () => {
    const cm = { resource: 'configmaps', namespace: platform };
    await check('rediclaim-gate', [
      [{ ...cm, verb: 'get', name: 'rediclaim-events-0' }, true],
      // list and watch with fieldSelector=metadata.name=rediclaim-events-<n> carry the name.
      [{ ...cm, verb: 'list', name: 'rediclaim-events-0' }, true],
      [{ ...cm, verb: 'watch', name: 'rediclaim-events-0' }, true],
      [{ ...cm, verb: 'watch', name: 'rediclaim-events-31' }, true],
      [{ ...cm, verb: 'watch', name: 'rediclaim-events-32' }, false],
      [{ ...cm, verb: 'list' }, false],
      [{ ...cm, verb: 'get', name: 'rediclaim-kafka' }, false],
      [{ ...cm, verb: 'update', name: 'rediclaim-events-0' }, false],
      [{ verb: 'get', resource: 'secrets', namespace: platform, name: 'rediclaim-secrets' }, false],
      [{ verb: 'list', group: 'rediclaim.io', resource: 'couponevents', namespace: tenant }, false],
    ]);
  });

  it("gives the issuer's ServiceAccount no access to the API at all", async () => {
    await check('rediclaim-issuer', [
      [
        { verb: 'get', resource: 'configmaps', namespace: platform, name: 'rediclaim-events-0' },
        false,
      ],
      [{ verb: 'list', resource: 'secrets', namespace: platform }, false],
      [{ verb: 'list', group: 'rediclaim.io', resource: 'couponevents', namespace: tenant }, false],
    ]);
    const sa = await core.readNamespacedServiceAccount({
      name: 'rediclaim-issuer',
      namespace: platform,
    });
    expect(sa.automountServiceAccountToken).toBe(false);
  });

  it('keeps across helm upgrade the events the operator wrote, the issuer scale it chose, and the secrets', async () => {
    const operator = await serviceAccountKubeConfig(platform, 'rediclaim-operator', kc);
    // As the operator does: create the gate's ConfigMap (the chart leaves it to the
    // operator), and set the issuer's replicas through the scale subresource.
    const events = 'apiVersion: rediclaim.io/v1alpha1\nkind: EventsConfig\nevents: []\n';
    await operator.makeApiClient(k8s.CoreV1Api).createNamespacedConfigMap({
      namespace: platform,
      body: { metadata: { name: 'rediclaim-events-0' }, data: { 'events.yaml': events } },
    });
    await operator
      .makeApiClient(k8s.AppsV1Api)
      .patchNamespacedDeploymentScale(
        { name: 'rediclaim-issuer', namespace: platform, body: { spec: { replicas: 3 } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    const secretsBefore = await core.readNamespacedSecret({
      name: 'rediclaim-secrets',
      namespace: platform,
    });

    const result = await helm(['upgrade', release, chartDir, '-n', platform], {
      gate: { replicas: 3 },
    });
    expect(result.stderr).toBe('');

    const cm = await core.readNamespacedConfigMap({
      name: 'rediclaim-events-0',
      namespace: platform,
    });
    expect(cm.data?.['events.yaml']).toBe(events);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const issuer = await apps.readNamespacedDeployment({
      name: 'rediclaim-issuer',
      namespace: platform,
    });
    expect(issuer.spec?.replicas).toBe(3);
    const gate = await apps.readNamespacedDeployment({
      name: 'rediclaim-gate',
      namespace: platform,
    });
    expect(gate.spec?.replicas).toBe(3);
    const secretsAfter = await core.readNamespacedSecret({
      name: 'rediclaim-secrets',
      namespace: platform,
    });
    expect(secretsAfter.data).toEqual(secretsBefore.data);
    expect(
      Buffer.from(secretsAfter.data!['coupon-code-secret']!, 'base64').length,
    ).toBeGreaterThanOrEqual(32);
  });

  it('runs the real operator and gate with the chart’s ServiceAccounts: a CouponEvent reaches the gate and gets a status', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rc-chart-sa-'));
    const kubeconfigFor = async (sa: string) => {
      const file = path.join(dir, `${sa}.kubeconfig`);
      writeFileSync(file, (await serviceAccountKubeConfig(platform, sa, kc)).exportConfig(), {
        mode: 0o600,
      });
      return file;
    };
    const env = stackEnv();
    const id = uniqueName('chart');
    const topics = { requests: `${id}.requests`, results: `${id}.results`, dead: `${id}.dead` };
    await createTestTopics([
      { topic: topics.requests, numPartitions: 2 },
      { topic: topics.results, numPartitions: 2 },
      { topic: topics.dead, numPartitions: 1 },
    ]);
    const [gatePort, gateAdmin, operatorAdmin] = await freePorts(3);
    const running: ServiceProcess[] = [];
    try {
      const gate = await startService(
        'gate',
        {
          KUBECONFIG: await kubeconfigFor('rediclaim-gate'),
          EVENTS_CONFIGMAP: `${platform}/rediclaim-events`,
          GATE_PORT: String(gatePort),
          GATE_ADMIN_PORT: String(gateAdmin),
          REDIS_URL: env.redisUrl,
          KAFKA_BROKERS: env.kafkaBrokers.join(','),
          KAFKA_GROUP_ID: `${id}-gate`,
          TOPIC_ISSUE_REQUESTS: topics.requests,
          TOPIC_ISSUE_RESULTS: topics.results,
          TOPIC_DEAD_LETTERS: topics.dead,
          TICKET_SECRET: 't'.repeat(40),
          GATE_HOST: '127.0.0.1',
          REQUEST_SIGNING_KEYS: `k1=${'s'.repeat(40)}`,
          LOG_LEVEL: 'info',
        },
        { readyUrl: `http://127.0.0.1:${gateAdmin}/readyz` },
      );
      running.push(gate);
      const operator = await startService(
        'operator',
        {
          KUBECONFIG: await kubeconfigFor('rediclaim-operator'),
          PLATFORM_NAMESPACE: platform,
          WATCH_NAMESPACES: tenant,
          GATE_ADMIN_URL: `http://127.0.0.1:${gateAdmin}`,
          OPERATOR_ADMIN_PORT: String(operatorAdmin),
          POD_NAME: `${id}-operator`,
          ISSUER_MIN_REPLICAS: '1',
          ISSUER_MAX_REPLICAS: '4',
          LOG_LEVEL: 'info',
        },
        { readyUrl: `http://127.0.0.1:${operatorAdmin}/healthz` },
      );
      running.push(operator);

      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      const ref = {
        group: CouponEventApi.group,
        version: CouponEventApi.version,
        plural: CouponEventApi.plural,
        namespace: tenant,
      };
      const hour = 3_600_000;
      // crds/examples/flash-sale.yaml, opening in an hour.
      const example = yaml.load(
        readFileSync(path.join(repoRoot, 'crds', 'examples', 'flash-sale.yaml'), 'utf8'),
      ) as { spec: Record<string, unknown> };
      await custom.createNamespacedCustomObject({
        ...ref,
        body: {
          apiVersion: CouponEventApi.apiVersion,
          kind: CouponEventApi.kind,
          metadata: { name: 'flash-sale' },
          spec: {
            ...example.spec,
            eventId: id,
            schedule: {
              opensAt: new Date(Date.now() + hour).toISOString(),
              closesAt: new Date(Date.now() + 24 * hour).toISOString(),
            },
          },
        },
      });

      // The operator (as rediclaim-operator) leads through its Lease...
      const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
      await until('the Lease', async () => {
        const lease = await coordination.readNamespacedLease({
          name: 'rediclaim-operator',
          namespace: platform,
        });
        return lease.spec?.holderIdentity === `${id}-operator` ? lease : undefined;
      });
      // ...renders the event into the ConfigMap shard its id hashes to...
      await until('the event in the ConfigMap', async () => {
        const cm = await core.readNamespacedConfigMap({
          name: configShardName('rediclaim-events', configShardOf(id, DEFAULT_CONFIG_SHARDS)),
          namespace: platform,
        });
        return cm.data?.['events.yaml']?.includes(id) ? cm : undefined;
      });
      // ...which the gate (as rediclaim-gate) reads through list+watch.
      await until('the gate to know the event', async () => {
        const res = await fetch(
          `http://127.0.0.1:${gateAdmin}/internal/v1/events/${tenant}/${id}/stats`,
        );
        const stats = (await res.json()) as { known?: boolean };
        return stats.known ? stats : undefined;
      });
      // The CouponEvent gets a status and the operator's finalizer.
      const ce = await until('a status phase', async () => {
        const obj = (await custom.getNamespacedCustomObject({ ...ref, name: 'flash-sale' })) as {
          metadata: { finalizers?: string[] };
          status?: { phase?: string };
        };
        return obj.status?.phase ? obj : undefined;
      });
      expect(ce.status?.phase).toBe('Scheduled');
      expect(ce.metadata.finalizers?.length).toBeGreaterThan(0);

      // Deleting it: the operator cleans up through the gate and releases the finalizer.
      await custom.deleteNamespacedCustomObject({ ...ref, name: 'flash-sale' });
      await until('the CouponEvent to be gone', async () => {
        try {
          await custom.getNamespacedCustomObject({ ...ref, name: 'flash-sale' });
          return undefined;
        } catch (error) {
          return (error as { code?: number }).code === 404 ? true : undefined;
        }
      });
      for (const p of running)
        expect({ service: p.name, forbidden: /forbidden/i.test(p.logs()) }).toEqual({
          service: p.name,
          forbidden: false,
        });
    } finally {
      for (const p of running) await p.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
