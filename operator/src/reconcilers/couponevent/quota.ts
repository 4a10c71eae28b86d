import type { CouponEvent } from '@rediclaim/core';

/** What a namespace's quota says about one of its CouponEvents. */
export interface QuotaStanding {
  within: boolean;
  /** The namespace's CouponEvents that count (this one among them). */
  counted: number;
}

function createdAt(event: CouponEvent): number {
  const t = event.metadata.creationTimestamp;
  return t === undefined ? Number.MAX_SAFE_INTEGER : new Date(t).getTime();
}

/**
 * Whether `event` has one of its namespace's `limit` places (a tenant may not crowd the
 * shared gate config). `counts` says which CouponEvents take a place (valid, not yet
 * cleaned up). Events already served keep theirs whatever the limit: like a Kubernetes
 * ResourceQuota, lowering it never stops a running sale, it only refuses new ones.
 * The free places go to the oldest by creationTimestamp, then name, so every replica
 * and every reconcile judges alike.
 */
export function quotaStanding(
  event: CouponEvent,
  all: readonly CouponEvent[],
  limit: number,
  isServing: (event: CouponEvent) => boolean,
  counts: (event: CouponEvent) => boolean,
): QuotaStanding {
  if (limit <= 0) return { within: true, counted: 0 };
  const namespace = event.metadata.namespace;
  const uid = event.metadata.uid;
  const peers = all.filter(
    (other) =>
      other.metadata.namespace === namespace && other.metadata.uid !== uid && counts(other),
  );
  const counted = peers.length + 1;
  if (counted <= limit || isServing(event)) return { within: true, counted };
  const served = peers.filter(isServing).length;
  const name = event.metadata.name ?? '';
  const mine = createdAt(event);
  const older = peers.filter((other) => {
    if (isServing(other)) return false;
    const theirs = createdAt(other);
    return theirs < mine || (theirs === mine && (other.metadata.name ?? '') < name);
  }).length;
  return { within: served + older < limit, counted };
}

/** The Accepted=False message of an event past its namespace's quota. */
export function quotaMessage(namespace: string, limit: number, counted: number): string {
  return `namespace ${namespace} has ${counted} CouponEvents and may have ${limit} served at once (the oldest win); this one is not served. Delete a CouponEvent of this namespace, or ask the platform's operators to raise the limit (chart value operator.maxEventsPerNamespace, setting MAX_EVENTS_PER_NAMESPACE; 0 means no limit). It is served as soon as there is room.`;
}
