// What the chart tests share: the helm binary (built through the Go module proxy by
// hack/stack), rendering the chart with a set of values, and raw requests to the test
// stack's API server that keep what the client library drops (warning headers,
// fieldValidation=Strict, dryRun=All).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import * as yaml from 'js-yaml';
import { repoRoot, stackEnv, testKubeConfig } from '@rediclaim/hack/testing';

const run = promisify(execFile);

export const chartDir = path.join(repoRoot, 'charts', 'rediclaim');
/** The version the test stack's kube-apiserver reports; helm defaults to v1.20 otherwise. */
export const kubeVersion = '1.34.4';

export type Values = Record<string, unknown>;

/** Production-like: the user's own Redis, Kafka and MySQL, with their Secrets. */
export const externalDeps: Values = {
  redis: { bundled: false, host: 'redis.data.svc', existingSecret: 'shop-redis' },
  kafka: { bundled: false, brokers: 'kafka-0.kafka:9092,kafka-1.kafka:9092' },
  mysql: { bundled: false, host: 'mysql.data.svc', existingSecret: 'shop-mysql' },
  secrets: { existingSecret: 'shop-rediclaim' },
};

/** What hack/kind/up installs (with the image tag it built). */
export function kindValues(): Values {
  const file = path.join(repoRoot, 'hack', 'kind', 'values.yaml');
  return { ...(yaml.load(readFileSync(file, 'utf8')) as Values), image: { tag: 'dev' } };
}

/** Every optional feature on. */
export const everythingOn: Values = {
  gate: {
    autoscaling: { enabled: true },
    ingress: { enabled: true, host: 'queue.example.com', className: 'nginx' },
  },
  networkPolicy: {
    enabled: true,
    metricsFrom: [{ namespaceSelector: { matchLabels: { name: 'monitoring' } } }],
  },
  metrics: {
    serviceMonitor: { enabled: true },
    prometheusRule: { enabled: true },
    grafanaDashboard: { enabled: true },
  },
  operator: { watchNamespaces: ['shop-a', 'shop-b'] },
};

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> } & Record<
    string,
    unknown
  >;
  [key: string]: unknown;
}

/** The helm binary, built once through the Go module proxy and cached (hack/stack install helm). */
export async function helmBinary(): Promise<string> {
  const helm = stackEnv().helm;
  if (!existsSync(helm)) {
    await run(path.join(repoRoot, 'hack', 'stack'), ['install', 'helm'], {
      env: process.env,
      timeout: 15 * 60_000,
    });
  }
  return helm;
}

export interface HelmResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs helm; never throws for a non-zero exit (tests look at stderr). */
export async function helm(args: string[], values?: Values): Promise<HelmResult> {
  const bin = await helmBinary();
  let dir: string | undefined;
  const full = [...args];
  if (values) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rc-chart-'));
    const file = path.join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    full.push('-f', file);
  }
  try {
    const { stdout, stderr } = await run(bin, full, {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), KUBECONFIG: stackEnv().kubeconfig },
      maxBuffer: 32 * 1024 * 1024,
    });
    return { ok: true, stdout, stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm template` of the chart; throws with helm's message when it fails. */
export async function render(
  values: Values = {},
  namespace = 'rediclaim',
  release = 'rediclaim',
): Promise<K8sObject[]> {
  const result = await helm(
    ['template', release, chartDir, '-n', namespace, '--kube-version', kubeVersion],
    values,
  );
  if (!result.ok) throw new Error(`helm template failed: ${result.stderr}`);
  return parseManifests(result.stdout);
}

export function parseManifests(text: string): K8sObject[] {
  return (yaml.loadAll(text) as (K8sObject | null)[]).filter((o): o is K8sObject => !!o);
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) {
    const have = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
    throw new Error(`no ${kind}/${name} in the rendered chart (it has ${have})`);
  }
  return found;
}

type Container = {
  name: string;
  env?: { name: string; value?: string; valueFrom?: Record<string, Record<string, string>> }[];
  [key: string]: unknown;
};
export type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: Record<string, unknown>;
  [key: string]: unknown;
};

export function podSpecOf(workload: K8sObject): PodSpec {
  if (workload.kind === 'Pod') return workload.spec as PodSpec;
  return (workload.spec as { template: { spec: PodSpec } }).template.spec;
}

/** A container's env as name → value, or `secret:<name>/<key>` / `field:<path>` for references. */
export function envOf(workload: K8sObject, container?: string): Record<string, string> {
  const spec = podSpecOf(workload);
  const c = container ? spec.containers.find((x) => x.name === container) : spec.containers[0];
  if (!c) throw new Error(`${workload.metadata.name} has no container ${container}`);
  const out: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) out[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef)
      out[e.name] = `secret:${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`;
    else if (e.valueFrom?.fieldRef) out[e.name] = `field:${e.valueFrom.fieldRef.fieldPath}`;
  }
  return out;
}

// --- raw API requests -------------------------------------------------------------------

/** REST path of each kind the chart renders (and ServiceMonitor, rendered but not applied). */
const resources: Record<string, { group: string; plural: string; namespaced: boolean }> = {
  ServiceAccount: { group: 'api/v1', plural: 'serviceaccounts', namespaced: true },
  Pod: { group: 'api/v1', plural: 'pods', namespaced: true },
  Secret: { group: 'api/v1', plural: 'secrets', namespaced: true },
  ConfigMap: { group: 'api/v1', plural: 'configmaps', namespaced: true },
  Service: { group: 'api/v1', plural: 'services', namespaced: true },
  Deployment: { group: 'apis/apps/v1', plural: 'deployments', namespaced: true },
  StatefulSet: { group: 'apis/apps/v1', plural: 'statefulsets', namespaced: true },
  Role: { group: 'apis/rbac.authorization.k8s.io/v1', plural: 'roles', namespaced: true },
  RoleBinding: {
    group: 'apis/rbac.authorization.k8s.io/v1',
    plural: 'rolebindings',
    namespaced: true,
  },
  ClusterRole: {
    group: 'apis/rbac.authorization.k8s.io/v1',
    plural: 'clusterroles',
    namespaced: false,
  },
  ClusterRoleBinding: {
    group: 'apis/rbac.authorization.k8s.io/v1',
    plural: 'clusterrolebindings',
    namespaced: false,
  },
  PodDisruptionBudget: {
    group: 'apis/policy/v1',
    plural: 'poddisruptionbudgets',
    namespaced: true,
  },
  HorizontalPodAutoscaler: {
    group: 'apis/autoscaling/v2',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
  },
  NetworkPolicy: {
    group: 'apis/networking.k8s.io/v1',
    plural: 'networkpolicies',
    namespaced: true,
  },
  Ingress: { group: 'apis/networking.k8s.io/v1', plural: 'ingresses', namespaced: true },
};

export interface ApiResponse {
  status: number;
  body: unknown;
  /** Warning headers: PodSecurity "would violate ...", deprecated APIs, unknown fields. */
  warnings: string[];
}

export async function apiRequest(
  kc: k8s.KubeConfig,
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<ApiResponse> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig has no current cluster');
  const url = new URL(urlPath, server);
  const opts: RequestOptions = {
    method,
    hostname: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
  };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const warning = res.headers.warning;
        const warnings = (Array.isArray(warning) ? warning : warning ? [warning] : []).map((w) =>
          w.replace(/^299 - /, ''),
        );
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

/**
 * Creates an object with dryRun=All and fieldValidation=Strict: the API server runs its
 * whole validation and admission (PodSecurity included) but stores nothing.
 */
export async function dryRunCreate(kc: k8s.KubeConfig, obj: K8sObject): Promise<ApiResponse> {
  const r = resources[obj.kind];
  if (!r) throw new Error(`the chart tests do not know the REST path of ${obj.kind}`);
  const ns = r.namespaced ? `/namespaces/${obj.metadata.namespace ?? 'default'}` : '';
  return apiRequest(
    kc,
    'POST',
    `/${r.group}${ns}/${r.plural}?dryRun=All&fieldValidation=Strict`,
    obj,
  );
}

/** A KubeConfig that authenticates as a ServiceAccount with a short-lived TokenRequest token. */
export async function serviceAccountKubeConfig(
  namespace: string,
  serviceAccount: string,
  kc: k8s.KubeConfig = testKubeConfig(),
): Promise<k8s.KubeConfig> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error(`no token for ${namespace}/${serviceAccount}`);
  const cluster = kc.getCurrentCluster()!;
  const sa = new k8s.KubeConfig();
  sa.loadFromOptions({
    clusters: [cluster],
    users: [{ name: serviceAccount, token }],
    contexts: [{ name: 'sa', cluster: cluster.name, user: serviceAccount, namespace }],
    currentContext: 'sa',
  });
  return sa;
}

export interface Access {
  verb: string;
  resource: string;
  group?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** Asks the API server, as whoever `kc` authenticates, whether it may do `access`. */
export async function can(kc: k8s.KubeConfig, access: Access): Promise<boolean> {
  const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
  const review = await authz.createSelfSubjectAccessReview({
    body: {
      spec: {
        resourceAttributes: {
          verb: access.verb,
          resource: access.resource,
          group: access.group ?? '',
          subresource: access.subresource,
          namespace: access.namespace,
          name: access.name,
        },
      },
    },
  });
  return review.status?.allowed === true;
}

export function describeAccess(a: Access): string {
  const res = [a.resource, a.subresource].filter(Boolean).join('/');
  const group = a.group ? `.${a.group}` : '';
  return `${a.verb} ${res}${group}${a.name ? ` "${a.name}"` : ''} in ${a.namespace ?? '(cluster)'}`;
}
