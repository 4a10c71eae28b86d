import {
  Phase,
  desiredIssuerReplicas,
  eventPhase,
  nextScheduleChange,
  parseEventsConfig,
  renderEventsConfig,
  type EventConfig,
} from '@rediclaim/core';
import { sameJson } from './canonical.js';
import { keyOf } from './informer.js';
import { describeKubeError } from './kube/errors.js';
import type { ReconcileContext, ReconcileResult } from './reconcile-context.js';

/**
 * The platform-wide reconcile, one at a time (one work queue key): render every served
 * event into the gate ConfigMap, size the issuer for the events open now, and come back
 * at the next schedule boundary of any event so the issuer follows phases on time.
 * Events it affects (their entry written, the issuer's condition changed) are woken.
 */
export class PlatformReconciler {
  constructor(private readonly ctx: ReconcileContext) {}

  /**
   * Rebuilds what was served from the ConfigMap when a term starts: an event keeps its
   * last accepted config even if its current spec is refused, across restarts and
   * leader changes. Entries whose CouponEvent no longer exists are dropped.
   */
  async seed(): Promise<void> {
    const { configMap, state, cache, logger } = this.ctx;
    const text = await configMap.read();
    const written = new Map<string, number>();
    if (text !== undefined) {
      let events: EventConfig[] = [];
      try {
        events = parseEventsConfig(text, `ConfigMap ${configMap.ref}`).events;
      } catch (error) {
        logger.error(
          { err: String(error) },
          'the events ConfigMap is unreadable; rendering it anew',
        );
      }
      for (const config of events) {
        if (!config.name) continue;
        const key = `${config.tenant}/${config.name}`;
        written.set(key, config.generation);
        const event = cache.get(key);
        if (event && event.metadata.uid === config.uid) state.serving.set(key, config);
      }
    }
    state.written = written;
    logger.info(
      { served: state.serving.size, inConfigMap: written.size },
      'loaded the events ConfigMap',
    );
  }

  async reconcile(options: { verify?: boolean } = {}): Promise<ReconcileResult> {
    const { state, configMap, metrics, settings, logger, enqueue } = this.ctx;
    const served = this.uniqueById([...state.serving.entries()]);
    const text = renderEventsConfig(served.map(([, config]) => config));

    let wrote: boolean;
    try {
      // The gate must be able to read what we write: check it as the gate will.
      parseEventsConfig(text, `the rendered ConfigMap ${configMap.ref}`);
      this.ctx.assertLeading();
      wrote = await configMap.write(text, options);
    } catch (error) {
      const reason = describeKubeError(error);
      const first = state.configError === undefined;
      state.configError = reason;
      if (first) this.wakeUnwritten();
      throw error;
    }
    const hadError = state.configError !== undefined;
    state.configError = undefined;
    if (wrote) {
      metrics.configWrites.inc();
      logger.info({ events: served.length, configMap: configMap.ref }, 'wrote the events config');
    }
    // Events to wake once this pass is done (each once, after both the write and the scale).
    const wake = new Set<string>();
    const written = new Map(served.map(([key, config]) => [key, config.generation]));
    const before = state.written ?? new Map<string, number>();
    for (const key of new Set([...before.keys(), ...written.keys()]))
      if (hadError || before.get(key) !== written.get(key)) wake.add(key);
    state.written = written;
    metrics.configuredEvents.set(written.size);

    const now = Date.now();
    const open = served
      .filter(
        ([key, c]) => eventPhase(c, now, state.stats.get(key)?.soldOut ?? false) === Phase.Open,
      )
      .map(([, c]) => ({ dispatchPerSecond: c.admission.dispatchPerSecond, issuer: c.issuer }));
    const desired = desiredIssuerReplicas(open, {
      minReplicas: settings.ISSUER_MIN_REPLICAS,
      maxReplicas: settings.ISSUER_MAX_REPLICAS,
    });
    metrics.issuerDesiredReplicas.set(desired);
    this.ctx.assertLeading();
    const outcome = await this.ctx.scaler.ensure(desired);
    if (outcome.scaledFrom !== undefined) {
      logger.info(
        { from: outcome.scaledFrom, to: desired, open: open.length },
        'scaled the issuer',
      );
      this.ctx.recorder.record(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: this.ctx.scaler.namespace,
          name: this.ctx.scaler.name,
        },
        'Normal',
        'Scaled',
        'Scale',
        `Scaled the issuer from ${outcome.scaledFrom} to ${desired} replicas for ${open.length} open event(s).`,
      );
    }
    if (!sameJson(outcome.condition, state.issuer)) {
      state.issuer = outcome.condition;
      if (outcome.condition.status !== 'True')
        logger.warn({ reason: outcome.condition.reason }, outcome.condition.message);
      for (const key of state.serving.keys()) wake.add(key);
    }
    for (const key of wake) enqueue(key);

    // Back at the next schedule boundary, and at least every PLATFORM_RESYNC_SECONDS: no
    // watch tells us when someone scales or deletes the issuer or edits the ConfigMap.
    const boundaries = served
      .map(([, c]) => nextScheduleChange(c.schedule, now))
      .filter((t): t is number => t !== undefined)
      .map((t) => t - now + 25);
    return {
      requeueAfterMs: Math.max(1, Math.min(settings.PLATFORM_RESYNC_SECONDS * 1000, ...boundaries)),
    };
  }

  /** Wakes the events waiting for a write, so they can report that it failed. */
  private wakeUnwritten(): void {
    const { state, cache, enqueue } = this.ctx;
    for (const [key, config] of state.serving)
      if (state.written?.get(key) !== config.generation) enqueue(key);
    for (const event of cache.list()) if (event.metadata.deletionTimestamp) enqueue(keyOf(event));
  }

  /** Never two entries for one id (the gate refuses such a file): the first served keeps it. */
  private uniqueById(entries: [string, EventConfig][]): [string, EventConfig][] {
    const seen = new Map<string, string>();
    return entries.filter(([key, config]) => {
      const holder = seen.get(config.id);
      if (holder === undefined) {
        seen.set(config.id, key);
        return true;
      }
      this.ctx.logger.error(
        { eventId: config.id, kept: holder, dropped: key },
        'two events serve one id',
      );
      return false;
    });
  }
}
