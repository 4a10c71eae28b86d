import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { RuntimeMetrics } from './metrics.js';
import { describeKubeError, isConflict, isNotFound } from './kube/errors.js';
import { microTime } from './kube/time.js';
import { sleep } from './retry.js';

export interface LeaderElectionOptions {
  api: k8s.CoordinationV1Api;
  namespace: string;
  name: string;
  /** Who we are in `spec.holderIdentity`: the pod name. */
  identity: string;
  /** How long a lease holds without renewal; others take over after it. */
  leaseDurationMs: number;
  /** The leader stops acting when it could not renew for this long (< leaseDurationMs). */
  renewDeadlineMs: number;
  /** Time between attempts to acquire or renew. */
  retryPeriodMs: number;
  logger: Logger;
  /** leader_election_master_status{name=<lease>}: 1 while leading, else 0. */
  status?: RuntimeMetrics['leaderElectionStatus'];
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

interface ObservedRecord {
  holder: string;
  renewTime: string;
  /** Our clock when the record last changed: expiry is judged by it, never by theirs. */
  observedAt: number;
  leaseDurationMs: number;
}

class Timeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Timeout(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection:
 * - a candidate takes the lease when it is free, released, or has not been renewed for
 *   leaseDuration as measured by the candidate's own clock since it last saw the record
 *   change (clocks of different machines are never compared);
 * - writes are resourceVersion-checked updates, so two candidates never both win;
 * - the leader renews every retryPeriod and stops acting once renewDeadline has passed
 *   without a successful renewal, before anyone else may take over (renewDeadline <
 *   leaseDuration), even while a renewal call hangs;
 * - on a graceful stop the leader releases the lease so a successor starts at once.
 */
export class LeaderElector {
  private leading = false;
  private stopped = false;
  private observed: ObservedRecord | undefined;
  private loop: Promise<void> | undefined;
  private readonly wake = new AbortController();

  constructor(private readonly options: LeaderElectionOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen in the lease (ours or another's); empty when free. */
  get observedHolder(): string | undefined {
    return this.observed?.holder;
  }

  start(): void {
    // 0 from the start: a replica that never led says so, and `max by (name)` over all
    // replicas shows a lease that nobody holds.
    if (!this.loop) this.options.status?.set({ name: this.options.name }, 0);
    this.loop ??= this.run();
  }

  /** Stops competing; a leader stops acting first, then releases the lease. */
  async stop({ release = true }: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.wake.abort();
    await this.loop;
    if (this.leading) {
      this.setLeading(false);
      if (release) await this.release();
    }
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    const { logger, identity, name } = this.options;
    this.options.status?.set({ name }, leading ? 1 : 0);
    if (leading) {
      logger.info({ lease: name, identity }, 'became the leader');
      this.options.onStartedLeading();
    } else {
      logger.warn({ lease: name, identity }, 'stopped leading');
      this.options.onStoppedLeading();
    }
  }

  private async run(): Promise<void> {
    const { retryPeriodMs, renewDeadlineMs } = this.options;
    let lastRenew = 0;
    while (!this.stopped) {
      if (!this.leading) {
        const acquired = await withTimeout(this.tryAcquireOrRenew(), retryPeriodMs * 5).catch(
          () => false,
        );
        if (this.stopped) break;
        if (acquired) {
          lastRenew = Date.now();
          this.setLeading(true);
          continue;
        }
        // A little jitter keeps candidates from asking in lock-step.
        await sleep(retryPeriodMs * (1 + Math.random() * 0.2), this.wake.signal);
        continue;
      }
      await sleep(retryPeriodMs, this.wake.signal);
      if (this.stopped) break;
      const remaining = lastRenew + renewDeadlineMs - Date.now();
      const renewed =
        remaining > 0
          ? await withTimeout(this.tryAcquireOrRenew(), remaining).catch((error: unknown) => {
              this.options.logger.warn({ err: String(error) }, 'renewing the lease failed');
              return false;
            })
          : false;
      if (renewed) lastRenew = Date.now();
      else if (Date.now() - lastRenew >= renewDeadlineMs) this.setLeading(false);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity, leaseDurationMs, logger } = this.options;
    const now = Date.now();
    let lease: k8s.V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (!isNotFound(error)) {
        logger.debug({ err: describeKubeError(error) }, 'reading the lease failed');
        return false;
      }
      try {
        await api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
              acquireTime: microTime(new Date(now)) as unknown as Date,
              renewTime: microTime(new Date(now)) as unknown as Date,
              leaseTransitions: 0,
            },
          },
        });
        this.observed = {
          holder: identity,
          renewTime: microTime(new Date(now)),
          observedAt: now,
          leaseDurationMs,
        };
        return true;
      } catch (createError) {
        if (!isConflict(createError))
          logger.debug({ err: describeKubeError(createError) }, 'creating the lease failed');
        return false;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const renewTime = String(spec.renewTime ?? '');
    if (!this.observed || this.observed.holder !== holder || this.observed.renewTime !== renewTime)
      this.observed = {
        holder,
        renewTime,
        observedAt: now,
        leaseDurationMs: (spec.leaseDurationSeconds ?? 0) * 1000,
      };
    if (
      holder &&
      holder !== identity &&
      this.observed.observedAt + this.observed.leaseDurationMs > now
    )
      return false;
    const stamp = microTime(new Date(now)) as unknown as Date;
    const taking = holder !== identity;
    try {
      const updated = await api.replaceNamespacedLease({
        name,
        namespace,
        body: {
          ...lease,
          spec: {
            ...spec,
            holderIdentity: identity,
            leaseDurationSeconds: Math.ceil(leaseDurationMs / 1000),
            renewTime: stamp,
            ...(taking
              ? { acquireTime: stamp, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }
              : {}),
          },
        },
      });
      this.observed = {
        holder: identity,
        renewTime: String(updated.spec?.renewTime ?? stamp),
        observedAt: now,
        leaseDurationMs,
      };
      if (taking) logger.info({ previousHolder: holder || undefined }, 'took the lease');
      return true;
    } catch (error) {
      // 409: someone else wrote the lease since we read it; they won this round.
      if (!isConflict(error))
        logger.debug({ err: describeKubeError(error) }, 'updating the lease failed');
      return false;
    }
  }

  /** Marks the lease free (no holder, 1 s duration) so a successor need not wait it out. */
  private async release(): Promise<void> {
    const { api, namespace, name, identity, logger } = this.options;
    try {
      const lease = await withTimeout(api.readNamespacedLease({ name, namespace }), 5_000);
      if (lease.spec?.holderIdentity !== identity) return;
      const stamp = microTime() as unknown as Date;
      await withTimeout(
        api.replaceNamespacedLease({
          name,
          namespace,
          body: {
            ...lease,
            spec: {
              ...lease.spec,
              holderIdentity: '',
              leaseDurationSeconds: 1,
              renewTime: stamp,
            },
          },
        }),
        5_000,
      );
      logger.info({ lease: name }, 'released the lease');
    } catch (error) {
      logger.warn({ err: describeKubeError(error) }, 'could not release the lease');
    }
  }
}
