import type { IssueRequest } from '@rediclaim/core';

export interface EventKey {
  tenant: string;
  eventId: string;
}

/** "tenant/eventId": neither part may contain "/" (core's schemas), so the key is unambiguous. */
export function eventKeyOf(key: EventKey): string {
  return `${key.tenant}/${key.eventId}`;
}

export interface EventGroup extends EventKey {
  key: string;
  requests: IssueRequest[];
}

/** Requests grouped by event, in order of first appearance; each group keeps message order. */
export function groupByEvent(requests: readonly IssueRequest[]): EventGroup[] {
  const groups = new Map<string, EventGroup>();
  for (const request of requests) {
    const key = eventKeyOf(request);
    let group = groups.get(key);
    if (!group) {
      group = { key, tenant: request.tenant, eventId: request.eventId, requests: [] };
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
    if (seen.has(request.requestId)) continue;
    seen.add(request.requestId);
    out.push(request);
  }
  return out;
}
