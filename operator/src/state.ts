import type { CouponEvent, EventConfig } from '@rediclaim/core';
import type { GateStats } from './gate-client.js';
import type { IssuerCondition } from './status.js';

/** The work queue key of the platform-wide reconcile (config render + issuer scale). */
export const PLATFORM_KEY = '@platform';
/** The work queue key of the Kafka topic check. */
export const KAFKA_KEY = '@kafka';

/**
 * What one leadership term knows beyond the informer's cache. Rebuilt from the
 * ConfigMap when a replica becomes the leader, so the operator keeps no state of its
 * own between terms: the ConfigMap is the record of what was last accepted.
 */
export class PlatformState {
  /**
   * key → the config the platform serves for the event: its accepted spec, or the last
   * accepted one while a later spec is refused (stock below issued, ...).
   */
  readonly serving = new Map<string, EventConfig>();
  /** key → the generation the ConfigMap holds now; undefined until first read. */
  written: Map<string, number> | undefined;
  /** Why the last ConfigMap write failed; undefined once one succeeds. */
  configError: string | undefined;
  /** key → the gate's last counts. */
  readonly stats = new Map<string, GateStats>();
  issuer: IssuerCondition = {
    status: 'Unknown',
    reason: 'NotYetScaled',
    message: 'The issuer Deployment has not been looked at yet.',
  };
  /**
   * key → the resourceVersion our own last write (finalizer, status) produced: the watch
   * event carrying exactly that version is our echo and needs no reconcile.
   */
  readonly ownWrites = new Map<string, string>();

  isServing(event: CouponEvent, key: string): boolean {
    const config = this.serving.get(key);
    return config !== undefined && config.uid === event.metadata.uid;
  }

  forget(key: string): boolean {
    this.stats.delete(key);
    this.ownWrites.delete(key);
    return this.serving.delete(key);
  }
}
