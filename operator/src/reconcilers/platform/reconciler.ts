import {
  Phase,
  desiredIssuerReplicas,
  eventPhase,
  nextScheduleChange,
  parseEventsConfig,
  renderEventsConfig,
  type EventConfig,
} from '@rediclaim/core';
import { keyOf } from '../../runtime/informer.js';
import { describeKubeError } from '../../runtime/kube/errors.js';
import type { ReconcileResult, Reconciler } from '../../runtime/reconciler.js';
import type { ReconcileContext } from '../reconcile-context.js';
import type { RenderCadence } from './render-cadence.js';

type Served = [key: string, config: EventConfig];

/**
 * The platform-wide reconcile, one at a time: render every served event into the gate
 * ConfigMap, size the issuer for the events open now, and come back at the next schedule
 * boundary of any event so the issuer follows phases on time. Events it affects (their
 * entry written, the issuer's condition changed) are woken.
 */
export class PlatformReconciler implements Reconciler {
  constructor(
    private readonly ctx: ReconcileContext,
    private readonly cadence: RenderCadence,
  ) {}

  async reconcile(): Promise<ReconcileResult> {
    const verify = this.cadence.begin();
    try {
      return await this.render(verify);
    } catch (error) {
      this.cadence.failed();
      throw error;
    }
  }

  private async render(verify: boolean): Promise<ReconcileResult> {
    const { served, configMap, metrics, settings, logger, enqueue } = this.ctx;
    const entries = this.uniqueById(served.entries());
    const text = renderEventsConfig(entries.map(([, config]) => config));
    let wrote: boolean;
    try {
      // The gate must be able to read what we write: check it as the gate will.
      parseEventsConfig(text, `the rendered ConfigMap ${configMap.ref}`);
      this.ctx.assertLeading();
      wrote = await configMap.write(text, { verify });
    } catch (error) {
      if (served.renderFailed(describeKubeError(error))) this.wakeUnwritten();
      throw error;
    }
    if (wrote) {
      metrics.configWrites.inc();
      logger.info({ events: entries.length, configMap: configMap.ref }, 'wrote the events config');
    }
    // Events to wake once this pass is done (each once, after both the write and the scale).
    const wake = new Set(
      served.rendered(new Map(entries.map(([key, config]) => [key, config.generation]))),
    );
    metrics.configuredEvents.set(entries.length);

    const now = Date.now();
    if (await this.scale(entries, now)) for (const [key] of served.entries()) wake.add(key);
    for (const key of wake) enqueue(key);

    // Back at the next schedule boundary, and at least every PLATFORM_RESYNC_SECONDS: no
    // watch tells us when someone scales or deletes the issuer or edits the ConfigMap.
    const boundaries = entries
      .map(([, c]) => nextScheduleChange(c.schedule, now))
      .filter((t): t is number => t !== undefined)
      .map((t) => t - now + 25);
    return {
      requeueAfterMs: Math.max(1, Math.min(settings.PLATFORM_RESYNC_SECONDS * 1000, ...boundaries)),
    };
  }

  /** Sizes the issuer for the events open now; returns whether its condition changed. */
  private async scale(entries: Served[], now: number): Promise<boolean> {
    const { served, scaler, recorder, metrics, settings, logger } = this.ctx;
    const open = entries
      .filter(
        ([key, c]) => eventPhase(c, now, served.countsOf(key)?.soldOut ?? false) === Phase.Open,
      )
      .map(([, c]) => ({ dispatchPerSecond: c.admission.dispatchPerSecond, issuer: c.issuer }));
    const desired = desiredIssuerReplicas(open, {
      minReplicas: settings.ISSUER_MIN_REPLICAS,
      maxReplicas: settings.ISSUER_MAX_REPLICAS,
    });
    metrics.issuerDesiredReplicas.set(desired);
    this.ctx.assertLeading();
    const outcome = await scaler.ensure(desired);
    if (outcome.scaledFrom !== undefined) {
      logger.info(
        { from: outcome.scaledFrom, to: desired, open: open.length },
        'scaled the issuer',
      );
      recorder.record(
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: scaler.namespace,
          name: scaler.name,
        },
        'Normal',
        'Scaled',
        'Scale',
        `Scaled the issuer from ${outcome.scaledFrom} to ${desired} replicas for ${open.length} open event(s).`,
      );
    }
    if (!served.scaled(outcome.condition)) return false;
    if (outcome.condition.status !== 'True')
      logger.warn({ reason: outcome.condition.reason }, outcome.condition.message);
    return true;
  }

  /** Wakes the events waiting for a write, so they can report that it failed. */
  private wakeUnwritten(): void {
    const { served, cache, enqueue } = this.ctx;
    for (const key of served.unwritten()) enqueue(key);
    for (const event of cache.list()) if (event.metadata.deletionTimestamp) enqueue(keyOf(event));
  }

  /** Never two entries for one id (the gate refuses such a file): the first served keeps it. */
  private uniqueById(entries: Served[]): Served[] {
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
