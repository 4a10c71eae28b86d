import { expect } from '@jest/globals';
import { waitFor } from '@rediclaim/hack/testing';
import type { StatusView } from '@rediclaim/gate';
import type { Client } from './client.js';

/**
 * A shopper's calls of the public API, identified by `?userId=` (the query identity
 * mode), as the suites make them. `client` is read at each call: suites start their gate
 * in beforeAll.
 */
export function shopperApi(client: () => Client) {
  const q = (s: string) => encodeURIComponent(s);
  const join = (ev: string, user: string) =>
    client()({ method: 'POST', url: `/v1/events/${ev}/queue?userId=${q(user)}` });
  const me = async (ev: string, user: string): Promise<StatusView & { ticket?: string }> => {
    const res = await client()({ url: `/v1/events/${ev}/queue/me?userId=${q(user)}` });
    expect(res.statusCode).toBe(200);
    return res.json();
  };
  const untilStatus = (ev: string, user: string, status: string, timeoutMs = 15_000) =>
    waitFor(
      `${user} to be ${status}`,
      async () => {
        const view = await me(ev, user);
        return view.status === status ? view : undefined;
      },
      timeoutMs,
    );
  return { join, me, untilStatus };
}
