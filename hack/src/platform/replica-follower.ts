import * as k8s from '@kubernetes/client-node';

export interface Replica {
  pid: number;
  stop(signal?: NodeJS.Signals): Promise<unknown>;
  exited: Promise<unknown>;
}

/**
 * Plays the kubelet for one Deployment on this machine: keeps as many local
 * processes running as the Deployment's spec.replicas (which the operator sets
 * through the scale subresource), and reports them in its status so `kubectl get
 * deployments` tells the truth. Polls: it serves one laptop, not a cluster.
 */
export class ReplicaFollower {
  private readonly replicas: Replica[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private busy = false;

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
    private readonly start: (index: number) => Promise<Replica>,
    private readonly onChange: (count: number) => void = () => undefined,
    private readonly intervalMs = 500,
  ) {}

  get count(): number {
    return this.replicas.length;
  }

  get pids(): number[] {
    return this.replicas.map((r) => r.pid);
  }

  async run(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.intervalMs);
  }

  private async sync(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      const apps = this.kc.makeApiClient(k8s.AppsV1Api);
      const deployment = await apps.readNamespacedDeployment({
        namespace: this.namespace,
        name: this.name,
      });
      const desired = deployment.spec?.replicas ?? 1;
      const before = this.replicas.length;
      while (this.replicas.length < desired && !this.stopped)
        this.replicas.push(await this.start(this.replicas.length));
      while (this.replicas.length > desired) await this.replicas.pop()!.stop('SIGTERM');
      if (this.replicas.length !== before) this.onChange(this.replicas.length);
      const n = this.replicas.length;
      const status = deployment.status ?? {};
      if (
        status.replicas !== n ||
        status.readyReplicas !== n ||
        status.observedGeneration !== deployment.metadata?.generation
      ) {
        await apps.replaceNamespacedDeploymentStatus({
          namespace: this.namespace,
          name: this.name,
          body: {
            ...deployment,
            status: {
              observedGeneration: deployment.metadata?.generation,
              replicas: n,
              readyReplicas: n,
              availableReplicas: n,
              updatedReplicas: n,
            },
          },
        });
      }
    } catch {
      // The next tick tries again; a local run should survive a slow API server.
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
    await Promise.all(this.replicas.splice(0).map((r) => r.stop('SIGTERM')));
  }
}
