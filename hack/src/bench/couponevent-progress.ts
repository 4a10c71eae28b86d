import * as k8s from '@kubernetes/client-node';
import { ConditionType, CouponEventApi, type CouponEvent } from '@rediclaim/core';

/** Accepted and Configured at its current generation: the operator is done with it. */
export function isSettled(e: CouponEvent): boolean {
  const conditions = e.status?.conditions ?? [];
  const isTrue = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
  return (
    e.status?.observedGeneration === e.metadata.generation &&
    isTrue(ConditionType.Accepted) &&
    isTrue(ConditionType.Configured)
  );
}

/**
 * Which CouponEvents of the whole API server the operator has settled, from one watch
 * of all namespaces (polling a list of 10,000 would load the API server being
 * measured). `settledAt` keeps the first time each was seen settled.
 */
export class CouponEventProgress {
  readonly settledAt = new Map<string, number>();
  private readonly seen = new Set<string>();
  private controller: AbortController | undefined;
  private stopped = false;
  private resourceVersion: string | undefined;
  /** Times the server ended the watch (reported: a watcher that falls behind is cut). */
  restarts = 0;

  constructor(private readonly kc: k8s.KubeConfig) {}

  get settled(): number {
    return this.settledAt.size;
  }

  get total(): number {
    return this.seen.size;
  }

  /** Keys seen but not settled (now). */
  unsettled(): string[] {
    return [...this.seen].filter((key) => !this.settledAt.has(key));
  }

  /**
   * One watch, resumed from the last resourceVersion seen when the server ends it (it
   * does so to a watcher that falls behind): starting over would make the server send
   * all 10,000 objects again, the load that made this one fall behind.
   */
  async start(): Promise<void> {
    const { group, version, plural } = CouponEventApi;
    this.controller = await new k8s.Watch(this.kc).watch(
      `/apis/${group}/${version}/${plural}`,
      {
        allowWatchBookmarks: true,
        ...(this.resourceVersion ? { resourceVersion: this.resourceVersion } : {}),
      },
      (type: string, e: CouponEvent & { code?: number }) => {
        if (type === 'ERROR') {
          // 410 Gone: the server no longer has our resourceVersion; start over.
          if (e.code === 410) this.resourceVersion = undefined;
          return;
        }
        if (e.metadata?.resourceVersion) this.resourceVersion = e.metadata.resourceVersion;
        this.observe(type, e);
      },
      (error: unknown) => {
        if (this.stopped) return;
        this.restarts++;
        if ((error as { statusCode?: number } | null)?.statusCode === 410)
          this.resourceVersion = undefined;
        setTimeout(() => void this.start(), 100);
      },
    );
  }

  private observe(type: string, e: CouponEvent): void {
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
    const key = `${e.metadata.namespace}/${e.metadata.name}`;
    if (type === 'DELETED') {
      this.seen.delete(key);
      this.settledAt.delete(key);
      return;
    }
    this.seen.add(key);
    if (isSettled(e)) {
      if (!this.settledAt.has(key)) this.settledAt.set(key, performance.now());
    } else this.settledAt.delete(key);
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }
}
