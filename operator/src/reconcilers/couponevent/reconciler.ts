import { Phase, eventIdOf, type CouponEvent, type EventConfig } from '@rediclaim/core';
import { describeGateError, type GateStats } from '../../gate-client.js';
import { keyOf } from '../../runtime/informer.js';
import type { ReconcileResult, Reconciler } from '../../runtime/reconciler.js';
import type { ReconcileContext } from '../reconcile-context.js';
import { judge, parseCouponEvent, RejectReason } from './acceptance.js';
import { CouponEventCleanup } from './cleanup.js';
import { FINALIZER, hasFinalizer } from './couponevent-api.js';
import { judgeScope } from './indexes.js';
import { requeueAfterMs } from './requeue.js';
import { desiredStatus } from './status.js';
import { StatusWriter } from './status-writer.js';

interface Counts {
  /** Fresh from this reconcile, or the last ones the gate gave. */
  stats: GateStats | undefined;
  /** Why the gate did not answer this time. */
  error: string | undefined;
}

/**
 * Reconciles one CouponEvent: observe (the cached object, the gate's counts), compare
 * (the operator's own checks, the status it should have), act (finalizer, the config
 * served for it, cleanup on delete), record (status, Events). The config itself is
 * rendered for all events at once by the platform reconciler, which `served` asks.
 */
export class CouponEventReconciler implements Reconciler {
  private readonly status: StatusWriter;
  private readonly cleanup: CouponEventCleanup;

  constructor(private readonly ctx: ReconcileContext) {
    this.status = new StatusWriter(ctx);
    this.cleanup = new CouponEventCleanup(ctx, this.status);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { cache, served, settings } = this.ctx;
    const cached = cache.get(key);
    // Gone (finalized, or deleted before we ever added the finalizer).
    if (!cached) return this.forget(key);
    if (cached.metadata.deletionTimestamp)
      return hasFinalizer(cached) ? this.cleanup.finalize(key, cached) : this.forget(key);

    const event = await this.withFinalizer(key, cached);
    const now = new Date();
    const parsed = parseCouponEvent(event);
    const eventId = parsed.ok ? parsed.config.id : eventIdOf(event);
    // Observe: the gate's counts (for the status, and the issued count stock is checked
    // against). The gate counts only what it serves: an event not served yet (new,
    // refused) has none to ask for, which spares a call per event when thousands arrive.
    const counts =
      parsed.ok && served.servedFor(event, key)
        ? await this.observeCounts(key, event, eventId)
        : this.lastCounts(key);

    // Compare: the checks only the operator can make, and what to serve.
    const servedNow = served.servedFor(event, key);
    const verdict = judge(event, {
      all: judgeScope(cache, event, eventIdOf(event)),
      isServing: (other) => served.isServing(other, keyOf(other)),
      issued: counts.stats?.known ? counts.stats.issued : undefined,
      maxEventsPerNamespace: settings.MAX_EVENTS_PER_NAMESPACE,
      served: servedNow,
      now: now.getTime(),
    });
    const effective: EventConfig | undefined = verdict.accepted
      ? verdict.config
      : verdict.reason === RejectReason.EventIdConflict
        ? undefined
        : servedNow;
    served.serve(key, effective);

    const status = desiredStatus({
      generation: event.metadata.generation ?? 0,
      eventId,
      verdict,
      effective,
      configuredGeneration: served.writtenGeneration(key),
      configError: served.renderError,
      configShardFull: served.shardFull(key),
      configMapRef: this.ctx.configShards.of(effective?.id ?? eventId).ref,
      stats: counts.stats,
      statsError: counts.error,
      issuer: served.issuer,
      previous: event.status,
      now,
    });
    // The issuer's size follows the open events: a phase change into or out of Open
    // asks for a render (others would only cost a render that changes nothing).
    const before = event.status?.phase;
    if (status.phase !== before && (status.phase === Phase.Open || before === Phase.Open))
      served.requestRender();

    // A generation about to be rendered gets its status once it is (the platform
    // reconcile wakes this event after writing), not a "Pending" write first.
    if (
      effective &&
      served.writtenGeneration(key) !== effective.generation &&
      !served.renderError &&
      !served.shardFull(key)
    )
      return { requeueAfterMs: 5_000 };

    await this.status.write(event, status);
    return this.requeue(requeueAfterMs(status, now, settings.STATS_POLL_SECONDS * 1000));
  }

  private forget(key: string): ReconcileResult {
    this.ctx.served.forget(key);
    this.ctx.ownWrites.forget(key);
    return {};
  }

  private async withFinalizer(key: string, event: CouponEvent): Promise<CouponEvent> {
    if (hasFinalizer(event)) return event;
    this.ctx.assertLeading();
    const updated = await this.ctx.writer.setFinalizers(event, [
      ...(event.metadata.finalizers ?? []),
      FINALIZER,
    ]);
    return this.ctx.ownWrites.remember(key, updated);
  }

  private async observeCounts(key: string, event: CouponEvent, eventId: string): Promise<Counts> {
    try {
      const stats = await this.ctx.gate.stats(event.metadata.namespace ?? '', eventId);
      this.ctx.served.recordCounts(key, stats);
      return { stats, error: undefined };
    } catch (error) {
      this.ctx.metrics.gateErrors.inc({ operation: 'stats' });
      return { ...this.lastCounts(key), error: describeGateError(error) };
    }
  }

  private lastCounts(key: string): Counts {
    return { stats: this.ctx.served.countsOf(key), error: undefined };
  }

  private requeue(ms: number | undefined): ReconcileResult {
    // Timers beyond the resync period are pointless: the resync looks at everything anyway.
    const cap = this.ctx.settings.RESYNC_SECONDS * 1000;
    return ms === undefined ? {} : { requeueAfterMs: Math.min(ms, cap) };
  }
}
