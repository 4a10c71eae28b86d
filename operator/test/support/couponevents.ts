import type { CouponEvent, CouponEventSpecInput } from '@rediclaim/core';

let uid = 0;

/** A CouponEvent as the informer hands it over (unique uid, generation 1), for pure tests. */
export function couponEventOf(
  namespace: string,
  name: string,
  spec: CouponEventSpecInput | Record<string, unknown>,
  createdAt: string,
  extra: Partial<CouponEvent['metadata']> = {},
): CouponEvent {
  return {
    apiVersion: 'rediclaim.io/v1alpha1',
    kind: 'CouponEvent',
    metadata: {
      namespace,
      name,
      uid: `uid-${++uid}`,
      generation: 1,
      creationTimestamp: createdAt,
      ...extra,
    },
    spec: spec as CouponEventSpecInput,
  };
}
