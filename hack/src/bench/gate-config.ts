import type * as k8s from '@kubernetes/client-node';
import type { EventConfig } from '@rediclaim/core';
import { ConfigMapConfigSource, EventsStore } from '@rediclaim/gate';
import { pino } from 'pino';

interface Waiter {
  id: string;
  check(config: EventConfig): boolean;
  resolve(at: number): void;
}

/**
 * The gate's view of the config, with the gate's own code (its ConfigMap shard watches
 * and events store) in this process: what a gate serves, and the moment it serves it.
 */
export class GateConfig {
  readonly store = new EventsStore();
  private readonly source: ConfigMapConfigSource;
  private readonly waiters = new Set<Waiter>();

  constructor(kc: k8s.KubeConfig, namespace: string, base: string, shards: number) {
    this.source = new ConfigMapConfigSource(
      { namespace, name: base },
      { store: this.store, logger: pino({ level: 'silent' }) },
      kc,
      { shards },
    );
    this.store.on('change', () => {
      const at = performance.now();
      for (const w of this.waiters) {
        const event = this.store.get(w.id);
        if (event && w.check(event.config)) {
          this.waiters.delete(w);
          w.resolve(at);
        }
      }
    });
  }

  start(): Promise<void> {
    return this.source.start();
  }

  stop(): Promise<void> {
    return this.source.stop();
  }

  /** Resolves with the time (performance.now()) the gate serves `id` such that `check` holds. */
  served(id: string, check: (config: EventConfig) => boolean, timeoutMs = 60_000): Promise<number> {
    const now = this.store.get(id);
    if (now && check(now.config)) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`the gate did not serve ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        id,
        check,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      this.waiters.add(waiter);
    });
  }
}
