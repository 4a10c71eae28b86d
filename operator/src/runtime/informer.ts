import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Index } from './index.js';
import { listAll } from './kube/list.js';
import { watchOnce, type WatchEvent } from './kube/watch.js';
import { sleep, type Backoff } from './retry.js';

/** The parts of any Kubernetes object an informer needs. */
export interface KubeObject {
  metadata: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
}

export interface InformerHandlers<T> {
  onAdd?(object: T): void;
  onUpdate?(previous: T, object: T): void;
  onDelete?(object: T): void;
  /** Every resyncMs: level-triggered controllers look at everything again. */
  onResync?(objects: T[]): void;
}

export type InformerRestartReason = 'expired' | 'error' | 'closed';

export interface InformerOptions<T> {
  kubeConfig: KubeConfig;
  /** The collection's path, e.g. `/api/v1/namespaces/<ns>/configmaps`, per namespace. */
  pathFor(namespace: string | undefined): string;
  /** One list+watch per namespace; empty: one for all namespaces. */
  namespaces: readonly string[];
  handlers: InformerHandlers<T>;
  logger: Logger;
  resyncMs: number;
  /** Between attempts after a failed list or watch (410 Gone excepted: that relists at once). */
  backoff: Backoff;
  /** The server ends each watch after a random time in this range (seconds), like client-go. */
  watchTimeoutSeconds?: [number, number];
  /** Start watching from here before any list (a resumed informer); 410 Gone forces a list. */
  resumeFrom?: string;
  onRestart?(reason: InformerRestartReason): void;
  /**
   * Applied to every object before it is cached (client-go's SetTransform): drop what
   * no handler reads, such as managedFields, which 10,000 cached objects pay for.
   */
  transform?: (object: T) => T;
  /** Named indexes to look objects up by (byIndex): name → the values of an object. */
  indexes?: Record<string, (object: T) => readonly string[]>;
}

/** `namespace/name`: the work queue key of a namespaced object. */
export function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

interface Scope {
  namespace: string | undefined;
  synced: boolean;
}

/**
 * A cache of one kind of object kept current by list + watch, per
 * kubernetes-client/javascript's known pitfalls:
 * - the watch continues from the last resourceVersion seen (bookmarks included);
 * - it ends on its own every few minutes (timeoutSeconds) and is simply redone;
 * - a silent connection is cut after the watch timeout plus a margin;
 * - 410 Gone (the server no longer has our resourceVersion) means list again, at once;
 * - any other failure (API server down, restarted, refusing) retries after `backoff`
 *   (capped and jittered, so a fleet does not stampede a recovering server);
 * - a relist that no longer contains an object reports it deleted.
 */
export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  private readonly indexes = new Map<string, Index<T>>();
  private readonly scopes: Scope[];
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private syncWaiters: (() => void)[] = [];
  private lastActivity = Date.now();

  constructor(private readonly options: InformerOptions<T>) {
    this.scopes = (options.namespaces.length ? [...options.namespaces] : [undefined]).map(
      (namespace) => ({ namespace, synced: false }),
    );
    for (const [name, values] of Object.entries(options.indexes ?? {}))
      this.indexes.set(name, new Index(values));
  }

  start(): void {
    for (const scope of this.scopes) this.loops.push(this.run(scope));
    this.resyncTimer = setInterval(() => {
      if (this.hasSynced()) this.options.handlers.onResync?.(this.list());
    }, this.options.resyncMs);
    this.resyncTimer.unref();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.resyncTimer);
    for (const waiter of this.syncWaiters.splice(0)) waiter();
    await Promise.all(this.loops);
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  /** The objects index `name` files under `value`. */
  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`the informer has no index "${name}"`);
    return index.get(value);
  }

  /** Every namespace's first list has arrived. */
  hasSynced(): boolean {
    return this.scopes.every((s) => s.synced);
  }

  waitForSync(): Promise<void> {
    if (this.hasSynced() || this.abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** When the loops last made progress (an event, a list, a reconnect, a handled error). */
  get lastActivityAt(): number {
    return this.lastActivity;
  }

  private async run(scope: Scope): Promise<void> {
    const { logger, backoff } = this.options;
    const path = this.options.pathFor(scope.namespace);
    const log = logger.child({ informer: path });
    const [minTimeout, maxTimeout] = this.options.watchTimeoutSeconds ?? [300, 600];
    let resourceVersion = this.options.resumeFrom ?? '';
    let failures = 0;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      let delivered = false;
      const startedAt = Date.now();
      try {
        if (!resourceVersion) {
          const listed = await listAll<T>(this.options.kubeConfig, path, { signal });
          if (signal.aborted) break;
          this.replace(scope, listed.items);
          resourceVersion = listed.resourceVersion;
          this.markSynced(scope);
          log.debug({ objects: listed.items.length, resourceVersion }, 'listed');
        }
        const timeoutSeconds = Math.round(minTimeout + Math.random() * (maxTimeout - minTimeout));
        await watchOnce<T>(
          this.options.kubeConfig,
          path,
          { resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
          (event) => {
            delivered = true;
            this.lastActivity = Date.now();
            resourceVersion = event.object.metadata.resourceVersion || resourceVersion;
            this.apply(event);
          },
          { signal, idleTimeoutMs: (timeoutSeconds + 30) * 1000 },
        );
        // The server ended the watch (its timeout, or it is shutting down): watch again.
        failures = 0;
        this.lastActivity = Date.now();
        this.options.onRestart?.('closed');
      } catch (error) {
        if (signal.aborted) break;
        this.lastActivity = Date.now();
        if ((error as { code?: unknown }).code === 410) {
          log.info({ resourceVersion }, 'watch expired (410 Gone): listing again');
          this.options.onRestart?.('expired');
          resourceVersion = '';
          failures = 0;
          continue;
        }
        // A watch that worked for a while before failing starts the backoff afresh.
        if (delivered || Date.now() - startedAt > 10_000) failures = 0;
        failures += 1;
        const delay = backoff(failures);
        this.options.onRestart?.('error');
        log.warn(
          { err: error, attempt: failures, retryInMs: delay },
          'list/watch failed; retrying',
        );
        await sleep(delay, signal);
      }
    }
  }

  private markSynced(scope: Scope): void {
    scope.synced = true;
    if (this.hasSynced()) for (const waiter of this.syncWaiters.splice(0)) waiter();
  }

  private inScope(scope: Scope, object: T): boolean {
    return scope.namespace === undefined || object.metadata.namespace === scope.namespace;
  }

  /** A fresh list: what it lacks was deleted while we were not watching. */
  private replace(scope: Scope, items: T[]): void {
    const listed = new Set(items.map(keyOf));
    for (const [key, object] of this.store) {
      if (this.inScope(scope, object) && !listed.has(key)) {
        this.remove(key);
        this.options.handlers.onDelete?.(object);
      }
    }
    for (const item of items) this.upsert(item);
  }

  private upsert(received: T): void {
    const object = this.options.transform ? this.options.transform(received) : received;
    const key = keyOf(object);
    const previous = this.store.get(key);
    if (previous && previous.metadata.resourceVersion === object.metadata.resourceVersion) return;
    this.store.set(key, object);
    for (const index of this.indexes.values()) index.set(key, object);
    if (previous) this.options.handlers.onUpdate?.(previous, object);
    else this.options.handlers.onAdd?.(object);
  }

  private remove(key: string): boolean {
    for (const index of this.indexes.values()) index.delete(key);
    return this.store.delete(key);
  }

  private apply(event: WatchEvent<T>): void {
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.upsert(event.object);
        break;
      case 'DELETED': {
        if (this.remove(keyOf(event.object))) this.options.handlers.onDelete?.(event.object);
        break;
      }
      default:
        // BOOKMARK: only its resourceVersion matters, already taken.
        break;
    }
  }
}
