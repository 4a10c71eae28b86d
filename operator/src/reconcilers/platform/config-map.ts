import type * as k8s from '@kubernetes/client-node';
import { EVENTS_CONFIG_KEY } from '@rediclaim/core';
import { isConflict, isNotFound } from '../../runtime/kube/errors.js';

interface Known {
  text: string | undefined;
  /** The object as last read or written: labels and other keys are kept as they are. */
  object: k8s.V1ConfigMap;
}

/**
 * The gate's ConfigMap (`events.yaml`), written only when its bytes change, with
 * resourceVersion-checked updates: if someone else changed it since we last looked, the
 * update is refused (409), we read it again and retry. We remember what we last read
 * or wrote, so an unchanged render costs no request at all.
 */
export class EventsConfigMap {
  private known: Known | undefined;

  constructor(
    private readonly api: k8s.CoreV1Api,
    readonly namespace: string,
    readonly name: string,
  ) {}

  get ref(): string {
    return `${this.namespace}/${this.name}`;
  }

  /** The current `events.yaml`, or undefined when the ConfigMap or the key is missing. */
  async read(): Promise<string | undefined> {
    try {
      const cm = await this.api.readNamespacedConfigMap({
        namespace: this.namespace,
        name: this.name,
      });
      this.known = { text: cm.data?.[EVENTS_CONFIG_KEY], object: cm };
      return this.known.text;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.known = undefined;
      return undefined;
    }
  }

  /**
   * Makes `events.yaml` hold `text`. Returns whether a write happened. `verify` reads
   * the ConfigMap first instead of trusting what we last saw (periodic drift repair).
   */
  async write(text: string, { verify = false } = {}): Promise<boolean> {
    if (verify || !this.known) await this.read();
    for (let attempt = 1; ; attempt++) {
      if (this.known?.text === text) return false;
      try {
        const current = this.known?.object;
        const written = current
          ? await this.api.replaceNamespacedConfigMap({
              namespace: this.namespace,
              name: this.name,
              // Carries the resourceVersion we read: the API server refuses a stale write.
              body: { ...current, data: { ...current.data, [EVENTS_CONFIG_KEY]: text } },
            })
          : await this.api.createNamespacedConfigMap({
              namespace: this.namespace,
              body: {
                metadata: {
                  name: this.name,
                  namespace: this.namespace,
                  labels: {
                    'app.kubernetes.io/part-of': 'rediclaim',
                    'app.kubernetes.io/managed-by': 'rediclaim-operator',
                  },
                },
                data: { [EVENTS_CONFIG_KEY]: text },
              },
            });
        this.known = { text, object: written };
        return true;
      } catch (error) {
        // 409: changed (or created) by someone else since we looked; 404: deleted.
        if (attempt >= 5 || !(isConflict(error) || isNotFound(error))) throw error;
        await this.read();
      }
    }
  }
}
