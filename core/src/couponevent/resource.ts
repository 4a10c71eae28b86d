import type { CouponEventSpecInput } from './spec.js';
import type { CouponEventStatus } from './status.js';

/** Names of the CouponEvent API, in the shapes the Kubernetes API wants them. */
export const CouponEventApi = {
  group: 'rediclaim.io',
  version: 'v1alpha1',
  apiVersion: 'rediclaim.io/v1alpha1',
  kind: 'CouponEvent',
  listKind: 'CouponEventList',
  plural: 'couponevents',
  singular: 'couponevent',
  shortNames: ['cev'],
  categories: ['rediclaim'],
  crdName: 'couponevents.rediclaim.io',
  /** Holds deletion until the event's config entry and queue data are gone. */
  finalizer: 'rediclaim.io/cleanup',
} as const;

/** The parts of ObjectMeta rediclaim reads; core stays free of the Kubernetes client. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  finalizers?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface CouponEvent {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  /** As stored by the API server: defaults applied there, but not yet checked by zod. */
  spec: CouponEventSpecInput;
  status?: CouponEventStatus;
}
