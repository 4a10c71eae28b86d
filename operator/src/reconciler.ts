import {
  CouponEventApi,
  eventIdOf,
  type CouponEvent,
  type CouponEventStatus,
  type EventConfig,
} from '@rediclaim/core';
import { judge, parseCouponEvent, RejectReason } from './acceptance.js';
import { sameJson } from './canonical.js';
import { mergeConditions, type ConditionSpec } from './conditions.js';
import type { ObjectReference } from './events.js';
import type { GateStats } from './gate-client.js';
import { keyOf } from './informer.js';
import type { ReconcileContext, ReconcileResult } from './reconcile-context.js';
import { PLATFORM_KEY } from './state.js';
import {
  OperatorConditionType,
  desiredStatus,
  requeueAfterMs,
  transitionEvents,
} from './status.js';

const FINALIZER = CouponEventApi.finalizer;

function hasFinalizer(event: CouponEvent): boolean {
  return (event.metadata.finalizers ?? []).includes(FINALIZER);
}

export function referenceOf(event: CouponEvent): ObjectReference {
  return {
    apiVersion: CouponEventApi.apiVersion,
    kind: CouponEventApi.kind,
    name: event.metadata.name ?? '',
    namespace: event.metadata.namespace ?? '',
    uid: event.metadata.uid,
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reconciles one CouponEvent: observe (the cached object, the gate's counts), compare
 * (the operator's own checks, the status it should have), act (finalizer, the config the
 * platform serves for it, cleanup on delete), record (status, Events). The config itself
 * is rendered for all events at once by the platform reconcile, which this one wakes.
 */
export class CouponEventReconciler {
  constructor(private readonly ctx: ReconcileContext) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const { cache, state, enqueue } = this.ctx;
    const cached = cache.get(key);
    if (!cached) {
      // Gone (finalized, or deleted before we ever added the finalizer).
      if (state.forget(key)) enqueue(PLATFORM_KEY);
      return {};
    }
    if (cached.metadata.deletionTimestamp) return this.finalize(key, cached);

    const event = hasFinalizer(cached)
      ? cached
      : this.wrote(
          key,
          await this.leading().writer.setFinalizers(cached, [
            ...(cached.metadata.finalizers ?? []),
            FINALIZER,
          ]),
        );
    const now = new Date();
    const namespace = event.metadata.namespace ?? '';
    const parsed = parseCouponEvent(event);
    const eventId = parsed.ok ? parsed.config.id : eventIdOf(event);

    // Observe: the gate's counts (for the status, and the issued count stock is checked against).
    let fresh: GateStats | undefined;
    let statsError: string | undefined;
    if (parsed.ok) {
      try {
        fresh = await this.ctx.gate.stats(namespace, eventId);
      } catch (error) {
        statsError = errorText(error);
        this.ctx.metrics.gateErrors.inc({ operation: 'stats' });
      }
    }
    if (fresh) state.stats.set(key, fresh);
    const stats = fresh ?? state.stats.get(key);

    // Compare: the checks only the operator can make, and what to serve.
    const verdict = judge(event, {
      all: cache.list(),
      isServing: (other) => state.isServing(other, keyOf(other)),
      issued: stats?.known ? stats.issued : undefined,
    });
    const previous = state.isServing(event, key) ? state.serving.get(key) : undefined;
    const effective: EventConfig | undefined = verdict.accepted
      ? verdict.config
      : verdict.reason === RejectReason.EventIdConflict
        ? undefined
        : previous;
    if (!sameJson(effective, state.serving.get(key))) {
      if (effective) state.serving.set(key, effective);
      else state.serving.delete(key);
      enqueue(PLATFORM_KEY);
    }

    const status = desiredStatus({
      generation: event.metadata.generation ?? 0,
      eventId,
      verdict,
      effective,
      configuredGeneration: state.written?.get(key),
      configError: state.configError,
      configMapRef: this.ctx.configMap.ref,
      stats,
      statsError,
      issuer: state.issuer,
      previous: event.status,
      now,
    });
    // The issuer's size follows the phases of the open events.
    if (status.phase !== event.status?.phase) enqueue(PLATFORM_KEY);

    // A generation about to be rendered gets its status once it is (the platform
    // reconcile wakes this event after writing), not a "Pending" write first.
    if (effective && state.written?.get(key) !== effective.generation && !state.configError)
      return { requeueAfterMs: 5_000 };

    await this.record(event, status);
    return this.requeue(requeueAfterMs(status, now, this.ctx.settings.STATS_POLL_SECONDS * 1000));
  }

  /** The context, once it is checked that this replica still leads (before any write). */
  private leading(): ReconcileContext {
    this.ctx.assertLeading();
    return this.ctx;
  }

  /** Remembers the version our write made, so its watch echo is not reconciled again. */
  private wrote(key: string, event: CouponEvent): CouponEvent {
    const version = event.metadata.resourceVersion;
    if (version) this.ctx.state.ownWrites.set(key, version);
    return event;
  }

  private requeue(ms: number | undefined): ReconcileResult {
    // Timers beyond the resync period are pointless: the resync looks at everything anyway.
    const cap = this.ctx.settings.RESYNC_SECONDS * 1000;
    return ms === undefined ? {} : { requeueAfterMs: Math.min(ms, cap) };
  }

  /** Writes the status when it differs, and tells people what changed. */
  private async record(event: CouponEvent, status: CouponEventStatus): Promise<void> {
    if (sameJson(status, event.status)) return;
    this.wrote(keyOf(event), await this.leading().writer.writeStatus(event, status));
    for (const planned of transitionEvents(event.status, status))
      this.ctx.recorder.record(
        referenceOf(event),
        planned.type,
        planned.reason,
        planned.action,
        planned.note,
      );
  }

  /**
   * Deletion, in the order that keeps shoppers safe: the event leaves the rendered
   * config (the gate stops serving it), then the gate deletes its queue data, then the
   * finalizer goes and Kubernetes removes the object. Any step that fails keeps the
   * finalizer and is retried with backoff.
   */
  private async finalize(key: string, event: CouponEvent): Promise<ReconcileResult> {
    const { state, enqueue, cache } = this.ctx;
    if (!hasFinalizer(event)) {
      if (state.forget(key)) enqueue(PLATFORM_KEY);
      return {};
    }
    if (state.serving.delete(key)) enqueue(PLATFORM_KEY);
    if (state.written === undefined || state.written.has(key)) {
      if (state.configError)
        await this.setCleanupCondition(event, {
          type: OperatorConditionType.CleanedUp,
          status: 'False',
          reason: 'ConfigMapWriteFailed',
          message: `Waiting to remove the event from ConfigMap ${this.ctx.configMap.ref}: ${state.configError}`,
        });
      // The platform reconcile wakes us once the ConfigMap no longer holds the event.
      return { requeueAfterMs: 5_000 };
    }

    const namespace = event.metadata.namespace ?? '';
    const eventId = eventIdOf(event);
    // The queue data is keyed by tenant and event id: if another CouponEvent of this
    // namespace serves the same id (this one lost a conflict), the data is its.
    const owner = cache
      .list()
      .find(
        (other) =>
          other.metadata.uid !== event.metadata.uid &&
          other.metadata.namespace === namespace &&
          eventIdOf(other) === eventId &&
          state.isServing(other, keyOf(other)),
      );
    if (!owner) {
      try {
        await this.leading().gate.deleteEvent(namespace, eventId, event.metadata.uid);
      } catch (error) {
        this.ctx.metrics.gateErrors.inc({ operation: 'delete' });
        const message = `Could not delete the event's queue data: ${errorText(error)}. The CouponEvent stays until this succeeds; retrying.`;
        this.ctx.recorder.record(referenceOf(event), 'Warning', 'CleanupFailed', 'Delete', message);
        await this.setCleanupCondition(event, {
          type: OperatorConditionType.CleanedUp,
          status: 'False',
          reason: 'GateUnreachable',
          message,
        });
        throw error;
      }
    }
    await this.leading().writer.setFinalizers(
      event,
      (event.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
    );
    this.ctx.recorder.record(
      referenceOf(event),
      'Normal',
      'CleanedUp',
      'Delete',
      owner
        ? `Removed from ConfigMap ${this.ctx.configMap.ref}; the queue data stays with ${owner.metadata.name}, which serves eventId "${eventId}".`
        : `Removed from ConfigMap ${this.ctx.configMap.ref} and deleted the event's queue data from the gate.`,
    );
    this.ctx.logger.info({ event: key, eventId }, 'cleaned up a deleted CouponEvent');
    state.forget(key);
    return {};
  }

  private async setCleanupCondition(event: CouponEvent, condition: ConditionSpec): Promise<void> {
    const others: ConditionSpec[] = (event.status?.conditions ?? [])
      .filter((c) => c.type !== condition.type)
      .map(({ type, status, reason, message }) => ({ type, status, reason, message }));
    const generation = event.metadata.generation ?? 0;
    const conditions = mergeConditions(
      event.status?.conditions,
      [...others, condition],
      generation,
      new Date(),
    ).map((c) => {
      // Conditions we do not touch keep the generation they were judged against.
      const before = event.status?.conditions?.find((p) => p.type === c.type);
      return before && c.type !== condition.type ? before : c;
    });
    await this.record(event, { ...event.status, conditions });
  }
}
