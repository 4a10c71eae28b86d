import type { CouponEvent } from '@rediclaim/core';
import type { Logger } from 'pino';
import type { EventsConfigMap } from './config-map.js';
import type { EventRecorder } from './events.js';
import type { GateClient } from './gate-client.js';
import type { Informer } from './informer.js';
import type { IssuerScaler } from './issuer-scale.js';
import type { CouponEventWriter } from './kube/couponevents.js';
import type { Metrics } from './metrics.js';
import type { Settings } from './settings.js';
import type { PlatformState } from './state.js';

/** What a reconcile asks of the queue when it succeeds. */
export interface ReconcileResult {
  /** Look again after this long (schedule boundary, polling), even if nothing changes. */
  requeueAfterMs?: number;
}

/** Everything the reconcilers use, handed in by the operator (one per leadership term). */
export interface ReconcileContext {
  settings: Settings;
  logger: Logger;
  cache: Informer<CouponEvent>;
  state: PlatformState;
  writer: CouponEventWriter;
  configMap: EventsConfigMap;
  scaler: IssuerScaler;
  gate: GateClient;
  recorder: EventRecorder;
  metrics: Metrics;
  enqueue(key: string): void;
  /**
   * Throws when this leadership term has ended: called before every write, so a reconcile
   * that was running when leadership was lost does not act after it.
   */
  assertLeading(): void;
}
