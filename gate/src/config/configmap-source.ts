import * as k8s from '@kubernetes/client-node';
import { EVENTS_CONFIG_KEY, eventsConfigSchema, parseEventsConfig } from '@rediclaim/core';
import type { ConfigSource, ConfigSourceDeps } from './source.js';

export interface ConfigMapRef {
  namespace: string;
  name: string;
}

/**
 * EVENTS_CONFIGMAP: the operator's ConfigMap, watched through the API server with a
 * list+watch informer on the one object (field selector metadata.name), so a change
 * reaches the gate in well under a second. A watch can end or stall without an error
 * (client-node #364, #596, #1496): on any error the informer is rebuilt (a fresh list)
 * after a capped exponential backoff, a 410 Gone relists, and a periodic read
 * (`resyncMs`) catches a watch that silently stopped delivering.
 * A ConfigMap that does not exist (yet) means "no events"; an invalid one keeps the
 * last good config.
 */
export class ConfigMapConfigSource implements ConfigSource {
  readonly description: string;
  private readonly api: k8s.CoreV1Api;
  private informer: k8s.ListWatch<k8s.V1ConfigMap> | undefined;
  private stopped = false;
  private backoffMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private appliedVersion: string | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly ref: ConfigMapRef,
    private readonly deps: ConfigSourceDeps,
    private readonly kubeConfig: k8s.KubeConfig = defaultKubeConfig(),
    private readonly options = { resyncMs: 30_000, maxBackoffMs: 5_000 },
  ) {
    this.description = `ConfigMap ${ref.namespace}/${ref.name}`;
    this.api = kubeConfig.makeApiClient(k8s.CoreV1Api);
  }

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
    const { namespace, name } = this.ref;
    const fieldSelector = `metadata.name=${name}`;
    let listed = false;
    const informer = new k8s.ListWatch<k8s.V1ConfigMap>(
      `/api/v1/namespaces/${namespace}/configmaps`,
      new k8s.Watch(this.kubeConfig),
      async () => {
        const list = await this.api.listNamespacedConfigMap({ namespace, fieldSelector });
        listed = true;
        // An absent ConfigMap is "no events"; the informer reports nothing for it.
        if (!list.items.some((cm) => cm.metadata?.name === name)) this.applyAbsent();
        return list;
      },
      false,
      undefined,
      fieldSelector,
    );
    informer.on(k8s.ADD, (cm) => this.applyConfigMap(cm));
    informer.on(k8s.UPDATE, (cm) => this.applyConfigMap(cm));
    informer.on(k8s.DELETE, () => this.applyAbsent());
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
    this.deps.logger.warn(
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

  /** A plain read: repairs a watch that stopped delivering without telling anyone. */
  private async resync(): Promise<void> {
    try {
      const cm = await this.api.readNamespacedConfigMap(this.ref);
      if (cm.metadata?.resourceVersion !== this.appliedVersion) this.applyConfigMap(cm);
    } catch (error) {
      if ((error as { code?: number }).code === 404) this.applyAbsent();
      else this.deps.logger.warn({ err: error }, `cannot read ${this.description}`);
    }
  }

  private applyAbsent(): void {
    if (this.appliedVersion === 'absent') return;
    this.appliedVersion = 'absent';
    const change = this.deps.store.apply(eventsConfigSchema.parse({}), this.description);
    this.deps.onApplied?.();
    this.deps.logger.warn({ ...change }, `${this.description} does not exist: no events`);
  }

  private applyConfigMap(cm: k8s.V1ConfigMap): void {
    if (cm.metadata?.name !== this.ref.name) return;
    const version = cm.metadata?.resourceVersion ?? '';
    if (version && version === this.appliedVersion) return;
    this.backoffMs = 0;
    const text = cm.data?.[EVENTS_CONFIG_KEY];
    try {
      if (text === undefined)
        throw new Error(`${this.description} has no key ${EVENTS_CONFIG_KEY}`);
      const config = parseEventsConfig(text, this.description);
      this.appliedVersion = version;
      this.lastError = undefined;
      const change = this.deps.store.apply(config, this.description);
      this.deps.onApplied?.();
      this.deps.logger.info(
        { ...change, events: config.events.length, resourceVersion: version },
        'events config applied',
      );
    } catch (error) {
      this.appliedVersion = version;
      if ((error as Error).message === this.lastError) return;
      this.lastError = (error as Error).message;
      this.deps.onInvalid?.(error as Error);
      this.deps.logger.error({ err: error }, 'events config refused; keeping the last good one');
    }
  }
}

function defaultKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  return kc;
}
