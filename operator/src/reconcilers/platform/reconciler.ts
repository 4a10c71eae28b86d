import { Phase, desiredIssuerReplicas } from '@rediclaim/core';
import { keyOf } from '../../runtime/informer.js';
import { describeKubeError } from '../../runtime/kube/errors.js';
import type { ReconcileResult, Reconciler } from '../../runtime/reconciler.js';
import type { ReconcileContext } from '../reconcile-context.js';
import type { RenderCadence } from './render-cadence.js';
import { nextChange, phaseOf } from './schedule-memo.js';
import { ShardPlanner, type Served, type ShardPlan } from './shard-plan.js';

/**
 * The platform-wide reconcile, one at a time: render every served event into the gate's
 * ConfigMap shards (only shards whose events changed are rendered, only changed bytes
 * written), size the issuer for the events open now, and come back at the next
 * schedule boundary of any event so the issuer follows phases on time. Events it
 * affects (their entry written, their shard full, the issuer's condition changed) are
 * woken.
 */
export class PlatformReconciler implements Reconciler {
  private readonly planner: ShardPlanner;
  /** Shards reported full, so each is logged once per episode. */
  private fullShards = new Set<number>();

  constructor(
    private readonly ctx: ReconcileContext,
    private readonly cadence: RenderCadence,
  ) {
    const shards = ctx.configShards;
    this.planner = new ShardPlanner({
      shards: shards.count,
      maxBytes: ctx.settings.EVENTS_CONFIG_SHARD_MAX_KIB * 1024,
      shardOf: (id) => shards.shardOf(id),
    });
  }

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
    const { served, configShards, metrics, settings, enqueue } = this.ctx;
    const started = performance.now();
    const entries = this.uniqueById(served.entries());
    const plans = this.planner.plan(entries, (shard, key) =>
      configShards.shards[shard]!.held().has(key),
    );
    this.ctx.assertLeading();
    const took = performance.now() - started;
    const outcomes = await Promise.all(plans.map((plan) => this.write(plan, verify)));
    this.cadence.wrote(
      outcomes.reduce((n, o) => n + o.wroteBytes, 0),
      took,
    );
    const failures = outcomes.flatMap((o) => (o.failure ? [o.failure] : []));
    const error = failures.length ? failures.join('; ') : undefined;
    if (error && served.renderFailed(error)) this.wakeUnwritten();
    // Events to wake once this pass is done (each once, after both the write and the scale).
    const wake = new Set([
      ...served.rendered(configShards.held(), error),
      ...served.shardsFull(this.fullReport(plans)),
    ]);
    if (error) {
      for (const key of wake) enqueue(key);
      throw new Error(`could not write the events config: ${error}`);
    }
    metrics.configuredEvents.set(plans.reduce((n, p) => n + p.held.size, 0));

    const now = Date.now();
    if (await this.scale(entries, now)) for (const [key] of served.entries()) wake.add(key);
    for (const key of wake) enqueue(key);

    // Back at the next schedule boundary, and at least every PLATFORM_RESYNC_SECONDS: no
    // watch tells us when someone scales or deletes the issuer or edits the ConfigMaps.
    const boundaries = entries
      .map(([, c]) => nextChange(c, now))
      .filter((t): t is number => t !== undefined)
      .map((t) => t - now + 25);
    return {
      requeueAfterMs: Math.max(1, Math.min(settings.PLATFORM_RESYNC_SECONDS * 1000, ...boundaries)),
    };
  }

  /** Writes one shard if its bytes changed; says how many bytes it wrote, or why it failed. */
  private async write(
    plan: ShardPlan,
    verify: boolean,
  ): Promise<{ wroteBytes: number; failure?: string }> {
    const { configShards, metrics, logger } = this.ctx;
    const configMap = configShards.shards[plan.shard]!;
    metrics.configShardBytes.set({ shard: String(plan.shard) }, plan.bytes);
    try {
      if (await configMap.write(plan.text, plan.held, { verify })) {
        metrics.configWrites.inc();
        metrics.configWrittenBytes.inc(plan.bytes);
        logger.info(
          { events: plan.held.size, bytes: plan.bytes, configMap: configMap.ref },
          'wrote the events config',
        );
        return { wroteBytes: plan.bytes };
      }
      return { wroteBytes: 0 };
    } catch (error) {
      return { wroteBytes: 0, failure: `ConfigMap ${configMap.ref}: ${describeKubeError(error)}` };
    }
  }

  /** Why each event a full shard leaves out is left out; logs each full shard once. */
  private fullReport(plans: ShardPlan[]): Map<string, string> {
    const { configShards, logger, metrics } = this.ctx;
    const report = new Map<string, string>();
    const nowFull = new Set<number>();
    let left = 0;
    for (const plan of plans) {
      if (plan.full.length === 0) continue;
      nowFull.add(plan.shard);
      left += plan.full.length;
      const ref = configShards.shards[plan.shard]!.ref;
      const message = `ConfigMap ${ref} is full (${Math.round(plan.bytes / 1024)} KiB of its ${Math.round(this.planner.maxBytes / 1024)} KiB, ${plan.held.size} events), so this event's config is not in it and the gate does not serve it. Raise the shard count (chart value gate.configShards, EVENTS_CONFIG_SHARDS of the operator and the gate) or remove events; it is served as soon as there is room.`;
      for (const key of plan.full) report.set(key, message);
      if (!this.fullShards.has(plan.shard))
        logger.error(
          { configMap: ref, bytes: plan.bytes, held: plan.held.size, leftOut: plan.full.length },
          'an events ConfigMap shard is full: events are left out',
        );
    }
    for (const shard of this.fullShards)
      if (!nowFull.has(shard))
        logger.info({ configMap: configShards.shards[shard]!.ref }, 'a full shard has room again');
    this.fullShards = nowFull;
    metrics.configShardFullEvents.set(left);
    return report;
  }

  /** Sizes the issuer for the events open now; returns whether its condition changed. */
  private async scale(entries: readonly Served[], now: number): Promise<boolean> {
    const { served, scaler, recorder, metrics, settings, logger } = this.ctx;
    // Open and not sold out: eventPhase, through the memo of each schedule's phase.
    const open = entries
      .filter(([key, c]) => phaseOf(c, now) === Phase.Open && !served.countsOf(key)?.soldOut)
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
