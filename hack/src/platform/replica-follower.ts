import * as k8s from '@kubernetes/client-node';

export interface Replica {
  pid: number;
  stop(signal?: NodeJS.Signals): Promise<unknown>;
  exited: Promise<unknown>;
}

interface Slot {
  replica: Replica;
  alive: boolean;
}

/**
 * Plays the kubelet for one Deployment on this machine: keeps as many local
 * processes running as the Deployment's spec.replicas (which the operator sets
 * through the scale subresource), restarts one that dies in its slot (slot i keeps
 * its ports, as a pod keeps its Service), and reports them in the Deployment's
 * status so `kubectl get deployments` tells the truth. Polls: it serves one
 * machine, not a cluster.
 */
export class ReplicaFollower {
  private readonly slots: Slot[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private busy: Promise<void> | undefined;
  restarts = 0;

  constructor(
    private readonly kc: k8s.KubeConfig,
    private readonly namespace: string,
    private readonly name: string,
    private readonly start: (slot: number) => Promise<Replica>,
    private readonly onChange: (count: number) => void = () => undefined,
    private readonly intervalMs = 250,
  ) {}

  get count(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  /** The live processes, by slot. */
  get replicas(): Replica[] {
    return this.slots.filter((s) => s.alive).map((s) => s.replica);
  }

  get pids(): number[] {
    return this.replicas.map((r) => r.pid);
  }

  /** Starts the replicas the Deployment asks for; resolves once they are ready. */
  async run(): Promise<void> {
    await this.sync(true);
    this.timer = setInterval(() => void this.sync(false), this.intervalMs);
  }

  private sync(throwErrors: boolean): Promise<void> {
    if (this.busy || this.stopped) return this.busy ?? Promise.resolve();
    this.busy = this.reconcile()
      .catch((error: unknown) => {
        // The next tick tries again; a local run should survive a slow API server.
        if (throwErrors) throw error;
      })
      .finally(() => (this.busy = undefined));
    return this.busy;
  }

  private async launch(index: number): Promise<Slot> {
    const slot: Slot = { replica: await this.start(index), alive: true };
    void slot.replica.exited.then(() => (slot.alive = false));
    return slot;
  }

  private async reconcile(): Promise<void> {
    const apps = this.kc.makeApiClient(k8s.AppsV1Api);
    const deployment = await apps.readNamespacedDeployment({
      namespace: this.namespace,
      name: this.name,
    });
    const desired = deployment.spec?.replicas ?? 1;
    const before = this.count;
    for (let i = 0; i < this.slots.length && i < desired && !this.stopped; i++) {
      if (!this.slots[i]!.alive) {
        this.restarts++;
        this.slots[i] = await this.launch(i);
      }
    }
    while (this.slots.length < desired && !this.stopped)
      this.slots.push(await this.launch(this.slots.length));
    while (this.slots.length > desired) await this.slots.pop()!.replica.stop('SIGTERM');
    if (this.count !== before) this.onChange(this.count);
    const n = this.count;
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
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.busy?.catch(() => undefined);
    await Promise.all(this.slots.splice(0).map((s) => s.replica.stop('SIGTERM')));
  }
}
