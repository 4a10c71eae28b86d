import * as k8s from '@kubernetes/client-node';

/** 404 from the API server, in the shapes client-node 1.x throws it. */
export function isNotFound(error: unknown): boolean {
  return (error as { code?: number }).code === 404;
}

export function isConflict(error: unknown): boolean {
  return (error as { code?: number }).code === 409;
}

export async function ensureNamespace(kc: k8s.KubeConfig, name: string): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  try {
    await core.readNamespace({ name });
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await core.createNamespace({ body: { metadata: { name } } }).catch((e: unknown) => {
      if (!isConflict(e)) throw e;
    });
  }
}

/**
 * A Deployment object for a service the local platform runs as processes: there is
 * no kubelet here, so it exists for the operator to scale and for `kubectl get` to
 * show; the replica follower turns its replica count into processes.
 */
export async function ensureDeployment(
  kc: k8s.KubeConfig,
  namespace: string,
  name: string,
  replicas: number,
): Promise<void> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'rediclaim' };
  await apps
    .createNamespacedDeployment({
      namespace,
      body: {
        metadata: {
          name,
          labels,
          annotations: { 'rediclaim.io/local': 'processes run by hack/up, not a kubelet' },
        },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [{ name, image: `rediclaim/${name.replace(/^rediclaim-/, '')}:local` }],
            },
          },
        },
      },
    })
    .catch((e: unknown) => {
      if (!isConflict(e)) throw e;
    });
}
