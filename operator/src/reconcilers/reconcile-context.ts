import type { CouponEvent } from '@rediclaim/core';
import type { Logger } from 'pino';
import type { GateClient } from '../gate-client.js';
import type { Metrics } from '../metrics.js';
import type { EventRecorder } from '../runtime/event-recorder.js';
import type { Informer } from '../runtime/informer.js';
import type { OwnWrites } from '../runtime/own-writes.js';
import type { Settings } from '../settings.js';
import type { CouponEventWriter } from './couponevent/couponevent-api.js';
import type { EventsConfigShards } from './platform/config-shards.js';
import type { IssuerScaler } from './platform/issuer-scale.js';
import type { ServedEvents } from './served-events.js';

/** What the operator makes once and every leadership term shares. */
export interface OperatorClients {
  settings: Settings;
  logger: Logger;
  cache: Informer<CouponEvent>;
  writer: CouponEventWriter;
  configShards: EventsConfigShards;
  scaler: IssuerScaler;
  gate: GateClient;
  recorder: EventRecorder;
  metrics: Metrics;
}

/** Everything the reconcilers use, handed in by the term they run in. */
export interface ReconcileContext extends OperatorClients {
  served: ServedEvents;
  ownWrites: OwnWrites;
  /** Queues a CouponEvent's key. */
  enqueue(key: string): void;
  /**
   * Throws when this leadership term has ended: called before every write, so a reconcile
   * that was running when leadership was lost does not act after it.
   */
  assertLeading(): void;
}
