import * as k8s from '@kubernetes/client-node';
import { stackEnv } from './env.js';
import { uniqueName } from './names.js';

/** Credentials of the test stack's API server (system:masters). */
export function testKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(stackEnv().kubeconfig);
  return kc;
}

export interface TestNamespace {
  name: string;
  /** Namespaces stay Terminating without a controller-manager; deletion is best effort. */
  delete(): Promise<void>;
}

/** A namespace of its own for one suite. */
export async function createTestNamespace(prefix = 'rc'): Promise<TestNamespace> {
  const core = testKubeConfig().makeApiClient(k8s.CoreV1Api);
  const name = uniqueName(prefix);
  await core.createNamespace({
    body: { metadata: { name, labels: { 'rediclaim.io/test': 'true' } } },
  });
  return {
    name,
    async delete() {
      await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}
