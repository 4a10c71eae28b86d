import {
  encodeIssueRequests,
  requestIdOf,
  signingKeysSchema,
  type IssuePolicy,
  type IssueRequest,
} from '@rediclaim/core';

export const SECRET = 'test-secret-of-at-least-16-chars';

/** The gates' key in these tests (REQUEST_SIGNING_KEYS), and the key it parses to. */
export const SIGNING_KEYS = 'gate=a-test-request-signing-secret-of-32-chars';
export const SIGNING_KEY = signingKeysSchema.parse(SIGNING_KEYS)[0]!;

export function policy(overrides: Partial<IssuePolicy> = {}): IssuePolicy {
  return {
    stock: 10,
    perUserLimit: 1,
    validity: { validForHours: 24 },
    discount: { type: 'percent', percent: 10 },
    code: { prefix: 'T-', length: 10 },
    generation: 1,
    ...overrides,
  };
}

export function request(
  tenant: string,
  eventId: string,
  userId: string,
  ticket: number,
  p: IssuePolicy,
): IssueRequest {
  return {
    type: 'IssueRequest',
    version: 1,
    requestId: requestIdOf(tenant, eventId, userId, ticket),
    tenant,
    eventId,
    userId,
    ticket,
    admittedAt: new Date().toISOString(),
    policy: p,
  };
}

/** Requests for users u0..u{n-1} with tickets 1..n (or from `firstTicket`). */
export function crowd(
  tenant: string,
  eventId: string,
  n: number,
  p: IssuePolicy,
  firstTicket = 1,
): IssueRequest[] {
  return Array.from({ length: n }, (_, i) => request(tenant, eventId, `u${i}`, firstTicket + i, p));
}

/** The one v2 record a gate would send for `requests` (all of one event and policy). */
export function batchRecordOf(requests: IssueRequest[]): { key: string; value: Buffer } {
  const first = requests[0]!;
  const [record] = encodeIssueRequests(
    {
      type: 'IssueRequestBatch',
      version: 2,
      tenant: first.tenant,
      eventId: first.eventId,
      admittedAt: first.admittedAt,
      policy: first.policy,
    },
    requests.map(({ requestId, userId, ticket }) => ({ requestId, userId, ticket })),
  );
  return record!;
}
