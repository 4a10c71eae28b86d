// The gate's /v1 API as the page uses it. URLs are relative to the page
// (/events/:id → ../v1/events/:id), so the page also works behind a path prefix.
// Every call resolves, never throws: { kind: 'ok', status, body } for 2xx,
// { kind: 'refused', status, code, message, details, retryAfterMs } for an error answer,
// { kind: 'network' } when no answer came.

import { parseRetryAfter } from './poller.js';

const TIMEOUT_MS = 15_000;

export function createApi({ eventId, identityMode, credentials, base = window.location.href }) {
  const root = new URL(`../v1/events/${encodeURIComponent(eventId)}`, base);

  async function call(method, path, { query = {}, identify = false, headers: extra = {} } = {}) {
    const url = new URL(root.href + path);
    const headers = { accept: 'application/json', ...extra };
    if (identify) {
      const who = await credentials();
      if (who.userId) url.searchParams.set('userId', who.userId);
      if (who.token) headers.authorization = `Bearer ${who.token}`;
    }
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(name, value);
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (method === 'POST') {
      headers['content-type'] = 'application/json';
      init.body = '{}';
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
    let response;
    try {
      response = await fetch(url, { ...init, signal: abort.signal });
    } catch {
      return { kind: 'network' };
    } finally {
      clearTimeout(timer);
    }
    let body;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    if (response.ok && body) return { kind: 'ok', status: response.status, body };
    // A proxy's HTML error page has no code: treat it by its status.
    return {
      kind: 'refused',
      status: response.status,
      code: body?.code ?? (response.status >= 500 ? 'UNAVAILABLE' : 'UNEXPECTED'),
      message: body?.message ?? response.statusText,
      details: body?.details,
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    };
  }

  return {
    identityMode,
    /** The status stream's address (EventSource sends no headers: the ticket identifies). */
    streamUrl: (ticket) => {
      const url = new URL(`${root.href}/queue/me/stream`);
      url.searchParams.set('ticket', ticket);
      return url.href;
    },
    /** The event: schedule, phase, discount, live counts. */
    event: () => call('GET', ''),
    /** A proof-of-work challenge (events with proofOfWork). */
    challenge: () => call('GET', '/challenge'),
    /** Join (idempotent: the same place for the same shopper), with a solved challenge if any. */
    join: (solution) =>
      call('POST', '/queue', {
        identify: true,
        headers: solution ? { 'x-pow-solution': solution } : {},
      }),
    /** Where the shopper stands: by the signed ticket when the page holds one. */
    status: (ticket) =>
      ticket
        ? call('GET', '/queue/me', { query: { ticket } })
        : call('GET', '/queue/me', { identify: true }),
  };
}
