import * as k8s from '@kubernetes/client-node';
import {
  DEFAULT_CONFIG_SHARDS,
  EVENTS_CONFIG_KEY,
  EventsConfigReader,
  configShardName,
} from '@rediclaim/core';
import { ConfigMapWatch, type ConfigMapWatchOptions } from './configmap-watch.js';
import { ShardedEvents } from './shard-merge.js';
import type { ConfigSource, ConfigSourceDeps } from './source.js';

export interface ConfigMapRef {
  namespace: string;
  /** The base name: the shards are `<name>-0` … `<name>-<shards-1>`. */
  name: string;
}

export interface ConfigMapSourceOptions extends ConfigMapWatchOptions {
  /** How many shards the operator writes (its EVENTS_CONFIG_SHARDS). */
  shards: number;
}

const defaults: ConfigMapSourceOptions = {
  shards: DEFAULT_CONFIG_SHARDS,
  resyncMs: 30_000,
  maxBackoffMs: 5_000,
};

/**
 * EVENTS_CONFIGMAP: the operator's config, split over N ConfigMaps (shards), each
 * watched on its own and each a complete events config. The gate serves the merge of
 * every shard's last good events: a shard that does not exist (yet) holds none, and a
 * shard that cannot be read keeps its last good events and is reported (onInvalid)
 * while the others go on. The store is first filled once every shard has answered, so
 * a gate never starts serving part of the config.
 */
export class ConfigMapConfigSource implements ConfigSource {
  readonly description: string;
  private readonly watches: ConfigMapWatch[];
  /** One per shard: a change re-parses only the entries it changed. */
  private readonly readers: EventsConfigReader[];
  private readonly events: ShardedEvents;
  private readonly answered = new Set<number>();
  private readonly lastError = new Map<number, string>();
  private readonly options: ConfigMapSourceOptions;
  private starting = false;

  constructor(
    ref: ConfigMapRef,
    private readonly deps: ConfigSourceDeps,
    kubeConfig: k8s.KubeConfig = defaultKubeConfig(),
    options: Partial<ConfigMapSourceOptions> = {},
  ) {
    this.options = { ...defaults, ...options };
    const { shards } = this.options;
    this.description = `ConfigMaps ${ref.namespace}/${ref.name}-{0..${shards - 1}}`;
    this.events = new ShardedEvents(shards);
    const api = kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.readers = Array.from({ length: shards }, () => new EventsConfigReader());
    this.watches = Array.from(
      { length: shards },
      (_, shard) =>
        new ConfigMapWatch(
          ref.namespace,
          configShardName(ref.name, shard),
          api,
          kubeConfig,
          {
            onObject: (cm) => this.applyShard(shard, cm),
            onAbsent: () => this.absentShard(shard),
          },
          deps.logger,
          this.options,
        ),
    );
  }

  async start(): Promise<void> {
    this.starting = true;
    try {
      await Promise.all(this.watches.map((w) => w.start()));
    } finally {
      this.starting = false;
    }
    this.apply();
  }

  async stop(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.stop()));
  }

  private absentShard(shard: number): void {
    this.answered.add(shard);
    this.lastError.delete(shard);
    this.events.set(shard, []);
    this.apply(shard);
  }

  private applyShard(shard: number, cm: k8s.V1ConfigMap): void {
    this.answered.add(shard);
    const source = this.watches[shard]!.description;
    const text = cm.data?.[EVENTS_CONFIG_KEY];
    try {
      if (text === undefined) throw new Error(`${source} has no key ${EVENTS_CONFIG_KEY}`);
      this.events.set(shard, this.readers[shard]!.read(text, source).events);
      this.lastError.delete(shard);
    } catch (error) {
      const message = (error as Error).message;
      // Report a broken shard once per problem, not on every resync.
      if (this.lastError.get(shard) === message) return;
      this.lastError.set(shard, message);
      this.deps.onInvalid?.(error as Error);
      this.deps.logger.error({ err: error }, `${source} refused; keeping its last good events`);
      return;
    }
    this.apply(shard);
  }

  /** Serves the merge, once every shard has answered at least once. */
  private apply(shard?: number): void {
    if (this.starting || this.answered.size < this.watches.length) return;
    const { config, duplicates } = this.events.merged();
    for (const d of duplicates)
      this.deps.logger.warn(
        { eventId: d.id, kept: d.kept, dropped: d.dropped },
        'an event id is in two config shards; serving the one it hashes to',
      );
    const source = shard === undefined ? this.description : this.watches[shard]!.description;
    const change = this.deps.store.apply(config, source);
    this.deps.onApplied?.();
    this.deps.logger.info(
      {
        added: change.added.length,
        changed: change.changed.length,
        removed: change.removed.length,
        events: config.events.length,
        source,
      },
      'events config applied',
    );
  }
}

function defaultKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  return kc;
}
