import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface ConfigMapWatchOptions {
  /** A plain read this often repairs a watch that silently stopped delivering. */
  resyncMs: number;
  maxBackoffMs: number;
}

export interface ConfigMapWatchHandlers {
  /** A version of the ConfigMap not seen before. */
  onObject(cm: k8s.V1ConfigMap): void;
  /** It does not exist (or no longer does). */
  onAbsent(): void;
}

/**
 * One ConfigMap, followed through the API server with a list+watch informer on that
 * object alone (field selector metadata.name, which RBAC's resourceNames allows), so a
 * change arrives in well under a second. A watch can end or stall without an error
 * (client-node #364, #596, #1496): on any error the informer is rebuilt (a fresh list)
 * after a capped exponential backoff, a 410 Gone relists, and a periodic read
 * (`resyncMs`) catches a watch that silently stopped delivering. Each version is
 * reported once.
 */
export class ConfigMapWatch {
  readonly description: string;
  private informer: k8s.ListWatch<k8s.V1ConfigMap> | undefined;
  private stopped = false;
  private backoffMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private seenVersion: string | undefined;

  constructor(
    private readonly namespace: string,
    private readonly name: string,
    private readonly api: k8s.CoreV1Api,
    private readonly kubeConfig: k8s.KubeConfig,
    private readonly handlers: ConfigMapWatchHandlers,
    private readonly logger: Logger,
    private readonly options: ConfigMapWatchOptions,
  ) {
    this.description = `ConfigMap ${namespace}/${name}`;
  }

  /** Resolves once the first list answered (or failed: retries go on in the background). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.startInformer();
    this.resyncTimer = setInterval(() => void this.resync(), this.options.resyncMs);
    this.resyncTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await this.informer?.stop();
    this.informer = undefined;
  }

  private async startInformer(): Promise<void> {
    const { namespace, name } = this;
    const fieldSelector = `metadata.name=${name}`;
    let listed = false;
    const informer = new k8s.ListWatch<k8s.V1ConfigMap>(
      `/api/v1/namespaces/${namespace}/configmaps`,
      new k8s.Watch(this.kubeConfig),
      async () => {
        const list = await this.api.listNamespacedConfigMap({ namespace, fieldSelector });
        listed = true;
        // The informer reports nothing for an object that is not there.
        if (!list.items.some((cm) => cm.metadata?.name === name)) this.absent();
        return list;
      },
      false,
      undefined,
      fieldSelector,
    );
    informer.on(k8s.ADD, (cm) => this.object(cm));
    informer.on(k8s.UPDATE, (cm) => this.object(cm));
    informer.on(k8s.DELETE, () => this.absent());
    informer.on(k8s.ERROR, (error) => {
      if (informer !== this.informer) return;
      this.scheduleRestart(error);
    });
    this.informer = informer;
    await informer.start();
    if (listed) this.backoffMs = 0;
  }

  private scheduleRestart(error: unknown): void {
    if (this.stopped) return;
    this.backoffMs = Math.min(this.options.maxBackoffMs, this.backoffMs ? this.backoffMs * 2 : 200);
    this.logger.warn(
      { err: error, retryInMs: this.backoffMs },
      `watch of ${this.description} failed; restarting`,
    );
    const old = this.informer;
    this.informer = undefined;
    void old?.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) void this.startInformer();
    }, this.backoffMs);
  }

  private async resync(): Promise<void> {
    try {
      const cm = await this.api.readNamespacedConfigMap({
        namespace: this.namespace,
        name: this.name,
      });
      this.object(cm);
    } catch (error) {
      if ((error as { code?: number }).code === 404) this.absent();
      else this.logger.warn({ err: error }, `cannot read ${this.description}`);
    }
  }

  private absent(): void {
    if (this.seenVersion === 'absent') return;
    this.seenVersion = 'absent';
    this.handlers.onAbsent();
  }

  private object(cm: k8s.V1ConfigMap): void {
    if (cm.metadata?.name !== this.name) return;
    const version = cm.metadata?.resourceVersion ?? '';
    if (version && version === this.seenVersion) return;
    this.seenVersion = version;
    this.backoffMs = 0;
    this.handlers.onObject(cm);
  }
}
