import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'undici';
import { followStream } from '../src/crowd/push-follow.js';

/**
 * The crowd's stream follower against an HTTP server speaking the gate's stream protocol
 * (retry, status events with ids, end then the response ends), one behaviour per path:
 * what a shopper's stream does when told its outcome, refused, dropped, or kept waiting.
 */
type Handler = (req: IncomingMessage, res: ServerResponse, attempt: number) => void;
const handlers = new Map<string, Handler>();
const attempts = new Map<string, IncomingMessage[]>();
let server: Server;
let base: string;
const agent = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 10_000 });

const stream = (res: ServerResponse) =>
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
const status = (res: ServerResponse, id: string, body: object) =>
  res.write(`id: ${id}\nevent: status\ndata: ${JSON.stringify(body)}\n\n`);

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    const seen = attempts.get(path) ?? [];
    seen.push(req);
    attempts.set(path, seen);
    handlers.get(path)!(req, res, seen.length);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await agent.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function follow(path: string, handler: Handler, deadline = Infinity, through = agent) {
  handlers.set(path, handler);
  const statuses: unknown[] = [];
  let requests = 0;
  const done = followStream(
    `${base}${path}?ticket=t`,
    through,
    (b) => statuses.push(b),
    () => requests++,
    deadline,
  );
  return { done, statuses, requests: () => requests };
}

describe("a crowd shopper's push stream", () => {
  it('tells every status and ends at `end`, on one request', async () => {
    const f = follow('/ends', (_req, res) => {
      stream(res);
      res.write('retry: 100\n\n');
      status(res, 'WAITING.2', { status: 'WAITING' });
      res.write(': keep-alive\n\n');
      setTimeout(() => {
        status(res, 'ISSUED', { status: 'ISSUED' });
        res.end('event: end\ndata: {}\n\n');
      }, 20);
    });
    expect(await f.done).toEqual({ kind: 'ended', last: { status: 'ISSUED' } });
    expect(f.statuses).toEqual([{ status: 'WAITING' }, { status: 'ISSUED' }]);
    expect(f.requests()).toBe(1);
    expect(attempts.get('/ends')![0]!.headers.accept).toBe('text/event-stream');
  });

  it('gives up for polling when refused (503 past the stream limit), without retrying', async () => {
    const f = follow('/refused', (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '30' });
      res.end('{"code":"OVERLOADED"}');
    });
    expect(await f.done).toEqual({ kind: 'fallback', last: undefined });
    expect(f.requests()).toBe(1);
  });

  it('gives up for polling when the answer is not an event stream', async () => {
    const f = follow('/not-a-stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"WAITING"}');
    });
    expect(await f.done).toEqual({ kind: 'fallback', last: undefined });
  });

  it('reconnects after a drop, after the retry delay, sending the last event id', async () => {
    const f = follow('/drops', (_req, res, attempt) => {
      stream(res);
      res.write('retry: 50\n\n');
      if (attempt === 1) {
        status(res, 'WAITING.7', { status: 'WAITING' });
        // A replica going away: the response ends without `end`.
        setTimeout(() => res.end(), 10);
      } else {
        status(res, 'ISSUED', { status: 'ISSUED' });
        res.end('event: end\ndata: {}\n\n');
      }
    });
    const started = Date.now();
    expect(await f.done).toEqual({ kind: 'ended', last: { status: 'ISSUED' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(f.requests()).toBe(2);
    expect(attempts.get('/drops')![1]!.headers['last-event-id']).toBe('WAITING.7');
  });

  it('gives up for polling after three drops in a row with no status between them', async () => {
    const f = follow('/broken', (req, res, attempt) => {
      if (attempt === 1) {
        stream(res);
        res.write('retry: 10\n\n');
        status(res, 'WAITING.3', { status: 'WAITING' });
        res.end();
      } else req.socket.destroy();
    });
    expect(await f.done).toEqual({ kind: 'fallback', last: { status: 'WAITING' } });
    // The first connection (its drop the first error: the status before it reset the
    // count), then two that broke.
    expect(f.requests()).toBe(3);
  });

  it('stops at the deadline, with the last status it was told', async () => {
    const f = follow(
      '/silent',
      (_req, res) => {
        stream(res);
        status(res, 'WAITING.9', { status: 'WAITING' });
      },
      Date.now() + 200,
    );
    expect(await f.done).toEqual({ kind: 'timeout', last: { status: 'WAITING' } });
  });

  it('reuses the connection of a stream that ended for the next one', async () => {
    const sockets = new Set<unknown>();
    const handler: Handler = (req, res) => {
      sockets.add(req.socket);
      stream(res);
      status(res, 'SOLD_OUT', { status: 'SOLD_OUT' });
      res.end('event: end\ndata: {}\n\n');
    };
    // An agent of its own: the shared one holds the other tests' idle connections.
    const own = new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 10_000 });
    await follow('/reuse', handler, Infinity, own).done;
    // The gate ends the response right after `end`: by the next shopper's turn it is read.
    await new Promise((r) => setTimeout(r, 20));
    await follow('/reuse', handler, Infinity, own).done;
    await own.close();
    expect(attempts.get('/reuse')).toHaveLength(2);
    expect(sockets.size).toBe(1);
  });
});
