import type { IssueRequest } from '@rediclaim/core';

/** One sale: an event's tenant and id, and its CouponEvent uid ('' when the request named none). */
export interface EventKey {
  tenant: string;
  eventId: string;
  uid: string;
}

/**
 * "tenant/eventId" or "tenant/eventId/uid": no part may contain "/" (core's schemas; a
 * Kubernetes uid is a UUID), so the key is unambiguous.
 */
export function eventKeyOf(key: EventKey): string {
  return key.uid ? `${key.tenant}/${key.eventId}/${key.uid}` : `${key.tenant}/${key.eventId}`;
}

/** The sale a request is for. */
export function saleOf(request: Pick<IssueRequest, 'tenant' | 'eventId' | 'uid'>): EventKey {
  return { tenant: request.tenant, eventId: request.eventId, uid: request.uid ?? '' };
}

export interface EventGroup extends EventKey {
  key: string;
  requests: IssueRequest[];
}

/** Requests grouped by sale, in order of first appearance; each group keeps message order. */
export function groupByEvent(requests: readonly IssueRequest[]): EventGroup[] {
  const groups = new Map<string, EventGroup>();
  for (const request of requests) {
    const sale = saleOf(request);
    const key = eventKeyOf(sale);
    let group = groups.get(key);
    if (!group) {
      group = { key, ...sale, requests: [] };
      groups.set(key, group);
    }
    group.requests.push(request);
  }
  return [...groups.values()];
}

/**
 * One request per requestId, the first delivery winning: a request delivered twice (or
 * re-sent by the gate with a newer policy snapshot) is one admission, decided once.
 */
export function distinctRequests(requests: readonly IssueRequest[]): IssueRequest[] {
  const seen = new Set<string>();
  const out: IssueRequest[] = [];
  for (const request of requests) {
    // A re-created sale restarts its tickets: the same requestId of two sales is two requests.
    const id = request.uid ? `${request.uid}/${request.requestId}` : request.requestId;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(request);
  }
  return out;
}
