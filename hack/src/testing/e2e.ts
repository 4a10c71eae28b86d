import * as k8s from '@kubernetes/client-node';
import path from 'node:path';
import { CouponEventApi, type CouponEventSpecInput } from '@rediclaim/core';
import {
  startLocalPlatform,
  type LocalPlatform,
  type LocalPlatformOptions,
} from '../platform/local-platform.js';
import { ensureNamespace } from '../platform/kube-objects.js';
import { repoRoot, stackEnv, type StackEnv } from './env.js';
import { createTestDatabase, type TestDatabase } from './mysql.js';
import { uniqueName } from './names.js';

export interface E2E {
  id: string;
  platform: LocalPlatform;
  db: TestDatabase;
  /** Tenant namespaces by the short names asked for. */
  tenants: Record<string, string>;
  kc: k8s.KubeConfig;
  apply(tenant: string, name: string, spec: CouponEventSpecInput): Promise<void>;
  patchSpec(tenant: string, name: string, spec: Record<string, unknown>): Promise<void>;
  remove(tenant: string, name: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole platform for one end-to-end suite, isolated from every other suite on
 * the shared test stack: its own platform namespace, tenant namespaces, topics,
 * consumer groups, database and ports.
 */
export async function startE2E(
  prefix: string,
  tenantNames: string[],
  options: Partial<
    Pick<LocalPlatformOptions, 'gates' | 'issuerMinReplicas' | 'issuerMaxReplicas' | 'extraEnv'>
  > & { env?: StackEnv } = {},
): Promise<E2E> {
  const env = options.env ?? stackEnv();
  const id = uniqueName(prefix);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(env.kubeconfig);
  const tenants = Object.fromEntries(tenantNames.map((t) => [t, `${id}-${t}`]));
  for (const ns of Object.values(tenants)) await ensureNamespace(kc, ns);
  const db = await createTestDatabase(id.replace(/-/g, '_'), env);
  const platform = await startLocalPlatform({
    env,
    namespace: id,
    portBase: 'free',
    topics: {
      issueRequests: `${id}.requests`,
      issueResults: `${id}.results`,
      deadLetters: `${id}.dead`,
      coupons: `${id}.coupons`,
    },
    groupPrefix: id,
    database: db.name,
    watchNamespaces: Object.values(tenants),
    logDir: path.join(repoRoot, '.rediclaim', 'test', 'logs', id),
    gates: options.gates ?? 1,
    issuerMinReplicas: options.issuerMinReplicas ?? 1,
    issuerMaxReplicas: options.issuerMaxReplicas ?? 2,
    ...(options.extraEnv ? { extraEnv: options.extraEnv } : {}),
  });
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const ref = (tenant: string) => ({
    group: CouponEventApi.group,
    version: CouponEventApi.version,
    plural: CouponEventApi.plural,
    namespace: tenants[tenant] ?? tenant,
  });
  return {
    id,
    platform,
    db,
    tenants,
    kc,
    async apply(tenant, name, spec) {
      await custom.createNamespacedCustomObject({
        ...ref(tenant),
        body: {
          apiVersion: CouponEventApi.apiVersion,
          kind: CouponEventApi.kind,
          metadata: { name },
          spec,
        },
      });
    },
    async patchSpec(tenant, name, spec) {
      await custom.patchNamespacedCustomObject(
        { ...ref(tenant), name, body: { spec } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    },
    async remove(tenant, name) {
      await custom.deleteNamespacedCustomObject({ ...ref(tenant), name });
    },
    async stop() {
      await platform.stop();
      await db.drop().catch(() => undefined);
    },
  };
}
