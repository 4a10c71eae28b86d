import * as k8s from '@kubernetes/client-node';
import { CouponEventApi, type CouponEvent, type CouponEventStatus } from '@rediclaim/core';
import type { ObjectReference } from '../../runtime/event-recorder.js';

const mergePatch = () => k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const jsonPatch = () => k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

/** The collection path of CouponEvents, in one namespace or all. */
export function couponEventsPath(namespace: string | undefined): string {
  const { group, version, plural } = CouponEventApi;
  return namespace
    ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}`
    : `/apis/${group}/${version}/${plural}`;
}

/** The operator's finalizer: a deleted CouponEvent stays until its cleanup is done. */
export const FINALIZER = CouponEventApi.finalizer;

export function hasFinalizer(event: CouponEvent): boolean {
  return (event.metadata.finalizers ?? []).includes(FINALIZER);
}

/** The CouponEvent as the subject of a Kubernetes Event. */
export function referenceOf(event: CouponEvent): ObjectReference {
  return {
    apiVersion: CouponEventApi.apiVersion,
    kind: CouponEventApi.kind,
    name: event.metadata.name ?? '',
    namespace: event.metadata.namespace ?? '',
    uid: event.metadata.uid,
  };
}

/** The writes the operator makes to CouponEvents: finalizers and status, nothing else. */
export class CouponEventWriter {
  constructor(
    private readonly api: k8s.CustomObjectsApi,
    private readonly fieldManager: string,
  ) {}

  private target(event: CouponEvent) {
    return {
      group: CouponEventApi.group,
      version: CouponEventApi.version,
      plural: CouponEventApi.plural,
      namespace: event.metadata.namespace ?? '',
      name: event.metadata.name ?? '',
      fieldManager: this.fieldManager,
    };
  }

  /**
   * Sets metadata.finalizers as of the resourceVersion we read: a merge patch carrying
   * resourceVersion is refused with 409 when the list changed meanwhile, so another
   * controller's finalizer is never dropped.
   */
  async setFinalizers(event: CouponEvent, finalizers: string[]): Promise<CouponEvent> {
    return (await this.api.patchNamespacedCustomObject(
      {
        ...this.target(event),
        body: { metadata: { finalizers, resourceVersion: event.metadata.resourceVersion } },
      },
      mergePatch(),
    )) as CouponEvent;
  }

  /** Replaces the whole status through the status subresource (one JSON Patch `add`). */
  async writeStatus(event: CouponEvent, status: CouponEventStatus): Promise<CouponEvent> {
    return (await this.api.patchNamespacedCustomObjectStatus(
      { ...this.target(event), body: [{ op: 'add', path: '/status', value: status }] },
      jsonPatch(),
    )) as CouponEvent;
  }
}
