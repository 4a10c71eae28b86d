// What the operator's integration tests share: a platform namespace (ConfigMaps, issuer
// Deployment, Lease) and tenant namespaces of their own on a real API server, the
// chart's operator RBAC applied there and a ServiceAccount token for the operator (so
// every test runs it with exactly the chart's permissions), unique Kafka topics, and
// the gate admin contract fake.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import {
  CouponEventApi,
  DEFAULT_CONFIG_SHARDS,
  EVENTS_CONFIG_KEY,
  configShardName,
  parseEventsConfig,
  type CouponEvent,
  type CouponEventSpecInput,
  type EventConfig,
} from '@rediclaim/core';
import {
  createTestTopics,
  ensureCouponEventCrd,
  repoRoot,
  stackEnv,
  startGateAdminFake,
  testKubeConfig,
  uniqueName,
  type GateAdminFake,
  waitFor,
} from '@rediclaim/hack/testing';
import { pino } from 'pino';
import { Operator, loadSettings, type Settings } from '../../src/index.js';

const run = promisify(execFile);

export const OPERATOR_SA = 'rediclaim-operator';
export const RELEASE = 'rediclaim';

const hour = 3_600_000;

/** A valid spec of an event open now (opened an hour ago, closes in an hour). */
export function openSpec(overrides: Partial<CouponEventSpecInput> = {}): CouponEventSpecInput {
  const now = Date.now();
  return {
    schedule: {
      opensAt: new Date(now - hour).toISOString(),
      closesAt: new Date(now + hour).toISOString(),
    },
    admission: { dispatchPerSecond: 100 },
    coupon: {
      stock: 100,
      validity: { validForHours: 24 },
      discount: { type: 'percent', percent: 10 },
    },
    ...overrides,
  };
}

export { waitFor };

/**
 * Renders the chart's operator RBAC (templates/operator-rbac.yaml with the chart's
 * helpers and default values) for a release in `namespace`. Only those files are
 * copied, so a half-edited template elsewhere in the chart cannot break these tests.
 */
export async function renderOperatorRbac(
  namespace: string,
  watchNamespaces: string[],
): Promise<k8s.KubernetesObject[]> {
  const chart = path.join(repoRoot, 'charts', 'rediclaim');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rc-op-rbac-'));
  try {
    mkdirSync(path.join(dir, 'templates'));
    for (const file of ['Chart.yaml', 'values.yaml', 'values.schema.json'])
      if (existsSync(path.join(chart, file)))
        copyFileSync(path.join(chart, file), path.join(dir, file));
    for (const file of ['_helpers.tpl', 'operator-rbac.yaml'])
      copyFileSync(path.join(chart, 'templates', file), path.join(dir, 'templates', file));
    const { stdout } = await run(
      stackEnv().helm,
      [
        'template',
        RELEASE,
        dir,
        '--namespace',
        namespace,
        '--kube-version',
        'v1.34.4',
        '--show-only',
        'templates/operator-rbac.yaml',
        '--set-json',
        `operator.watchNamespaces=${JSON.stringify(watchNamespaces)}`,
      ],
      { timeout: 60_000 },
    );
    return (k8s.loadAllYaml(stdout) as (k8s.KubernetesObject | null)[]).filter(
      (o): o is k8s.KubernetesObject => !!o,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A kubeconfig that authenticates as a ServiceAccount with a TokenRequest token. */
export async function serviceAccountKubeConfig(
  admin: k8s.KubeConfig,
  namespace: string,
  name: string,
): Promise<k8s.KubeConfig> {
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { audiences: [], expirationSeconds: 3 * 3600 } },
  });
  const cluster = admin.getCurrentCluster()!;
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name, token: request.status?.token }],
    contexts: [{ name, cluster: cluster.name, user: name, namespace }],
    currentContext: name,
  });
  return kc;
}

export interface FixtureOptions {
  tenants?: number;
  /** Create the issuer Deployment (default true). */
  issuer?: boolean;
  /** Kafka topics of its own (default true). */
  kafka?: boolean;
  /** The API server to use (default: the shared test stack's). */
  admin?: k8s.KubeConfig;
  /** Render RBAC for all namespaces (ClusterRole) instead of the tenant namespaces. */
  allNamespaces?: boolean;
}

export interface RunningOperator {
  operator: Operator;
  settings: Settings;
  stop(): Promise<void>;
}

export class Fixture {
  readonly custom: k8s.CustomObjectsApi;
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly eventsApi: k8s.EventsV1Api;
  readonly coordination: k8s.CoordinationV1Api;
  operatorKubeConfig!: k8s.KubeConfig;
  kubeconfigFile!: string;
  gate!: GateAdminFake;
  topics = { requests: '', results: '' };
  private readonly tmp = mkdtempSync(path.join(os.tmpdir(), 'rc-op-'));
  private readonly running: RunningOperator[] = [];
  private readonly cleanupObjects: k8s.KubernetesObject[] = [];

  constructor(
    readonly admin: k8s.KubeConfig,
    readonly platform: string,
    readonly tenants: string[],
  ) {
    this.custom = admin.makeApiClient(k8s.CustomObjectsApi);
    this.core = admin.makeApiClient(k8s.CoreV1Api);
    this.apps = admin.makeApiClient(k8s.AppsV1Api);
    this.eventsApi = admin.makeApiClient(k8s.EventsV1Api);
    this.coordination = admin.makeApiClient(k8s.CoordinationV1Api);
  }

  static async create(options: FixtureOptions = {}): Promise<Fixture> {
    const admin = options.admin ?? testKubeConfig();
    const id = uniqueName('op');
    const tenants = Array.from({ length: options.tenants ?? 1 }, (_, i) => `${id}-t${i + 1}`);
    const fixture = new Fixture(admin, id, tenants);
    await ensureCouponEventCrd(admin);
    for (const ns of [id, ...tenants])
      await fixture.core.createNamespace({
        body: { metadata: { name: ns, labels: { 'rediclaim.io/test': 'true' } } },
      });
    const rbac = await renderOperatorRbac(id, options.allNamespaces ? [] : tenants);
    const objects = k8s.KubernetesObjectApi.makeApiClient(admin);
    for (const object of rbac) {
      await objects.create(object);
      if (!object.metadata?.namespace) fixture.cleanupObjects.push(object);
    }
    fixture.operatorKubeConfig = await serviceAccountKubeConfig(admin, id, OPERATOR_SA);
    fixture.kubeconfigFile = path.join(fixture.tmp, 'operator.kubeconfig');
    writeFileSync(fixture.kubeconfigFile, fixture.operatorKubeConfig.exportConfig(), {
      mode: 0o600,
    });
    if (options.issuer ?? true) await fixture.createIssuerDeployment();
    if (options.kafka ?? true) {
      fixture.topics = { requests: `${id}.requests`, results: `${id}.results` };
      await createTestTopics([
        { topic: fixture.topics.requests, numPartitions: 2 },
        { topic: fixture.topics.results, numPartitions: 2 },
      ]);
    }
    fixture.gate = await startGateAdminFake();
    return fixture;
  }

  /** The operator's environment: its own namespaces, topics, lease and the fake gate. */
  env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      PLATFORM_NAMESPACE: this.platform,
      WATCH_NAMESPACES: this.tenants.join(','),
      GATE_ADMIN_URL: this.gate.url,
      ISSUER_MIN_REPLICAS: '1',
      ISSUER_MAX_REPLICAS: '6',
      STATS_POLL_SECONDS: '0.5',
      PLATFORM_RESYNC_SECONDS: '1',
      LEASE_DURATION_SECONDS: '4',
      LEASE_RENEW_DEADLINE_SECONDS: '3',
      LEASE_RETRY_PERIOD_SECONDS: '0.5',
      LOG_LEVEL: process.env.OPERATOR_TEST_LOG_LEVEL ?? 'silent',
      ...(this.topics.requests
        ? {
            KAFKA_BROKERS: stackEnv().kafkaBrokers.join(','),
            TOPIC_ISSUE_REQUESTS: this.topics.requests,
            TOPIC_ISSUE_RESULTS: this.topics.results,
          }
        : {}),
      ...overrides,
    };
  }

  /** The operator in this process, as the chart's ServiceAccount. */
  async startOperator(
    overrides: Record<string, string> = {},
    kubeConfig: k8s.KubeConfig = this.operatorKubeConfig,
  ): Promise<RunningOperator> {
    const settings = loadSettings(this.env({ POD_NAME: uniqueName('op-pod'), ...overrides }));
    const logger = pino({ level: settings.LOG_LEVEL });
    const operator = new Operator({ settings, kubeConfig, logger });
    operator.start();
    const running: RunningOperator = {
      operator,
      settings,
      stop: async () => {
        const i = this.running.indexOf(running);
        if (i >= 0) this.running.splice(i, 1);
        await operator.stop();
      },
    };
    this.running.push(running);
    await waitFor('the operator to lead', () => operator.isLeader);
    return running;
  }

  async createIssuerDeployment(): Promise<void> {
    const labels = { app: 'rediclaim-issuer' };
    await this.apps.createNamespacedDeployment({
      namespace: this.platform,
      body: {
        metadata: { name: 'rediclaim-issuer', labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'issuer', image: 'rediclaim/issuer:test' }] },
          },
        },
      },
    });
  }

  private ref(namespace: string) {
    return {
      group: CouponEventApi.group,
      version: CouponEventApi.version,
      plural: CouponEventApi.plural,
      namespace,
    };
  }

  async apply(
    namespace: string,
    name: string,
    spec: CouponEventSpecInput | Record<string, unknown>,
  ): Promise<CouponEvent> {
    return (await this.custom.createNamespacedCustomObject({
      ...this.ref(namespace),
      body: {
        apiVersion: CouponEventApi.apiVersion,
        kind: CouponEventApi.kind,
        metadata: { name },
        spec,
      },
    })) as CouponEvent;
  }

  /** A JSON merge patch of the spec, as `kubectl patch --type merge` does. */
  async patchSpec(
    namespace: string,
    name: string,
    spec: Record<string, unknown>,
  ): Promise<CouponEvent> {
    return (await this.custom.patchNamespacedCustomObject(
      { ...this.ref(namespace), name, body: { spec } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    )) as CouponEvent;
  }

  async get(namespace: string, name: string): Promise<CouponEvent | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        ...this.ref(namespace),
        name,
      })) as CouponEvent;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  }

  async remove(namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ ...this.ref(namespace), name });
  }

  /** Waits until the event's status satisfies `check` (and describes its current generation). */
  async waitForStatus(
    namespace: string,
    name: string,
    check: (event: CouponEvent) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<CouponEvent> {
    let last: CouponEvent | undefined;
    try {
      return await waitFor(
        `${namespace}/${name}: ${what}`,
        async () => {
          last = await this.get(namespace, name);
          return last && last.status?.observedGeneration === last.metadata.generation && check(last)
            ? last
            : undefined;
        },
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; last status: ${JSON.stringify(last?.status)}`, {
        cause: error,
      });
    }
  }

  /** The events in one shard of the gate config (none when it does not exist yet). */
  async shardEvents(shard: number): Promise<EventConfig[]> {
    const cm = await this.shardConfigMap(shard);
    const text = cm?.data?.[EVENTS_CONFIG_KEY];
    return text ? parseEventsConfig(text, `shard ${shard}`).events : [];
  }

  async shardConfigMap(shard: number): Promise<k8s.V1ConfigMap | undefined> {
    try {
      return await this.core.readNamespacedConfigMap({
        namespace: this.platform,
        name: configShardName('rediclaim-events', shard),
      });
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  }

  /** The events in every shard of the gate config, as the gate merges them. */
  async configEvents(shards = DEFAULT_CONFIG_SHARDS): Promise<EventConfig[]> {
    const all = await Promise.all(
      Array.from({ length: shards }, (_, shard) => this.shardEvents(shard)),
    );
    return all.flat();
  }

  async configEvent(tenant: string, id: string): Promise<EventConfig | undefined> {
    return (await this.configEvents()).find((e) => e.tenant === tenant && e.id === id);
  }

  async issuerReplicas(): Promise<number> {
    const scale = await this.apps.readNamespacedDeploymentScale({
      namespace: this.platform,
      name: 'rediclaim-issuer',
    });
    return scale.spec?.replicas ?? 0;
  }

  /** Kubernetes Events about an object, oldest first. */
  async kubeEvents(namespace: string, name: string): Promise<k8s.EventsV1Event[]> {
    const list = await this.eventsApi.listNamespacedEvent({
      namespace,
      fieldSelector: `regarding.name=${name}`,
    });
    return list.items;
  }

  async leaseHolder(): Promise<string | undefined> {
    try {
      const lease = await this.coordination.readNamespacedLease({
        namespace: this.platform,
        name: 'rediclaim-operator',
      });
      return lease.spec?.holderIdentity || undefined;
    } catch {
      return undefined;
    }
  }

  async cleanup(): Promise<void> {
    for (const r of [...this.running]) await r.stop().catch(() => undefined);
    await this.gate?.close();
    // Leave nothing another suite's operator could trip over: no events, no finalizers.
    for (const ns of this.tenants) {
      const list = (await this.custom
        .listNamespacedCustomObject(this.ref(ns))
        .catch(() => ({ items: [] }))) as { items: CouponEvent[] };
      for (const event of list.items) {
        await this.custom
          .patchNamespacedCustomObject(
            {
              ...this.ref(ns),
              name: event.metadata.name!,
              body: { metadata: { finalizers: null } },
            },
            k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
          )
          .catch(() => undefined);
        await this.remove(ns, event.metadata.name!).catch(() => undefined);
      }
    }
    const objects = k8s.KubernetesObjectApi.makeApiClient(this.admin);
    for (const object of this.cleanupObjects) await objects.delete(object).catch(() => undefined);
    for (const ns of [this.platform, ...this.tenants])
      await this.core.deleteNamespace({ name: ns }).catch(() => undefined);
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
