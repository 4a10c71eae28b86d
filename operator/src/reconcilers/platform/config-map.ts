import type * as k8s from '@kubernetes/client-node';
import { EVENTS_CONFIG_KEY, parseEventsConfig, type EventConfig } from '@rediclaim/core';
import { isConflict, isNotFound } from '../../runtime/kube/errors.js';

/** What a shard holds: event key (`tenant/name`) → generation. */
export type Holdings = ReadonlyMap<string, number>;

/** The events a ConfigMap's text holds, or why they could not be read. */
export interface ShardContent {
  events: EventConfig[];
  problem?: string;
}

interface Known {
  text: string | undefined;
  /** The object as last read or written: labels and other keys are kept as they are. */
  object: k8s.V1ConfigMap;
  /** Set on writes (the caller knows it); parsed from the text only when asked. */
  held?: Holdings;
  content?: ShardContent;
}

/** The key an event has in the operator's maps, from its rendered config. */
export function heldKeyOf(config: EventConfig): string | undefined {
  return config.name ? `${config.tenant}/${config.name}` : undefined;
}

/**
 * One of the gate's ConfigMaps (`events.yaml`), written only when its bytes change, with
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
    private readonly labels: Record<string, string> = {},
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
      const text = cm.data?.[EVENTS_CONFIG_KEY];
      // The same bytes hold the same events: keep what was derived from them.
      const same = this.known?.text === text ? this.known : undefined;
      this.known = { text, object: cm, held: same?.held, content: same?.content };
      return text;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.known = undefined;
      return undefined;
    }
  }

  /** The events of the text last read or written (none when missing or unreadable). */
  content(): ShardContent {
    const known = this.known;
    if (!known?.text) return { events: [] };
    if (!known.content) {
      try {
        known.content = { events: parseEventsConfig(known.text, `ConfigMap ${this.ref}`).events };
      } catch (error) {
        known.content = { events: [], problem: String(error) };
      }
    }
    return known.content;
  }

  /** What the ConfigMap holds, as far as we know: after a failed write, what it held before. */
  held(): Holdings {
    const known = this.known;
    if (!known) return new Map();
    known.held ??= new Map(
      this.content().events.flatMap((c) => {
        const key = heldKeyOf(c);
        return key ? [[key, c.generation] as const] : [];
      }),
    );
    return known.held;
  }

  /**
   * Makes `events.yaml` hold `text`, whose events are `held`. Returns whether a write
   * happened. `verify` reads the ConfigMap first instead of trusting what we last saw
   * (periodic drift repair).
   */
  async write(text: string, held: Holdings, { verify = false } = {}): Promise<boolean> {
    if (verify || !this.known) await this.read();
    for (let attempt = 1; ; attempt++) {
      if (this.known?.text === text) {
        this.known.held = held;
        return false;
      }
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
                    ...this.labels,
                  },
                },
                data: { [EVENTS_CONFIG_KEY]: text },
              },
            });
        this.known = { text, object: written, held };
        return true;
      } catch (error) {
        // 409: changed (or created) by someone else since we looked; 404: deleted.
        if (attempt >= 5 || !(isConflict(error) || isNotFound(error))) throw error;
        await this.read();
      }
    }
  }
}
