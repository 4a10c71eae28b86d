import { eventIdOf, type CouponEvent } from '@rediclaim/core';
import type { Informer } from '../../runtime/informer.js';

/** The CouponEvent cache's indexes: judging an event looks at its namespace and its id. */
export const couponEventIndexes = {
  namespace: (e: CouponEvent) => [e.metadata.namespace ?? ''],
  eventId: (e: CouponEvent) => [eventIdOf(e)],
};

/** Events that claim this id, the event itself among them. */
export function sameEventId(cache: Informer<CouponEvent>, eventId: string): CouponEvent[] {
  return cache.byIndex('eventId', eventId);
}

export function sameNamespace(cache: Informer<CouponEvent>, namespace: string): CouponEvent[] {
  return cache.byIndex('namespace', namespace);
}

/**
 * Every CouponEvent a judgement of `event` depends on (judge's `all`): those claiming
 * its id, and every event of its namespace and of theirs (each one's quota decides
 * whether it may hold the id). A few dozen objects instead of every one the operator sees.
 */
export function judgeScope(
  cache: Informer<CouponEvent>,
  event: CouponEvent,
  eventId: string,
): CouponEvent[] {
  const rivals = sameEventId(cache, eventId);
  const namespaces = new Set([event.metadata.namespace ?? '']);
  for (const rival of rivals) namespaces.add(rival.metadata.namespace ?? '');
  const scope = new Map<string, CouponEvent>();
  for (const e of [event, ...rivals, ...[...namespaces].flatMap((ns) => sameNamespace(cache, ns))])
    scope.set(e.metadata.uid ?? `${e.metadata.namespace}/${e.metadata.name}`, e);
  return [...scope.values()];
}
