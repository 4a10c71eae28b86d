import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GATE_ADMIN_PREFIX, emptyEventStats, type EventStats } from '@rediclaim/core';

/** The body of the stats endpoint: core's contract of the gate admin API. */
export type GateAdminStats = EventStats;

export interface GateAdminFake {
  /** Base URL, for GATE_ADMIN_URL. */
  url: string;
  /** Makes the gate report these numbers for an event (and know it). */
  setStats(tenant: string, eventId: string, stats: Partial<GateAdminStats>): void;
  /** `tenant/eventId` of every DELETE received, in order. */
  readonly deleted: string[];
  /** Requests received, by `METHOD tenant/eventId[/stats][?query]`. */
  readonly calls: string[];
  /** Stops listening (connections are refused) until `up()`: an unreachable gate. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A contract fake of the gate's internal admin API, for tests of the operator while the
 * gate is written beside it: a real HTTP server implementing the two endpoints of core's
 * contract (contracts/gate-admin.ts), with numbers the test sets. Not a stand-in for Redis, Kafka or the API
 * server (those are always real); end-to-end tests use the real gate.
 */
export async function startGateAdminFake(): Promise<GateAdminFake> {
  const stats = new Map<string, GateAdminStats>();
  const deleted: string[] = [];
  const calls: string[] = [];
  const blank = emptyEventStats;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const rest = url.pathname.startsWith(`${GATE_ADMIN_PREFIX}/`)
      ? url.pathname.slice(GATE_ADMIN_PREFIX.length)
      : '';
    const match = /^\/([^/]+)\/([^/]+)(\/stats)?$/.exec(rest);
    if (!match) {
      res.writeHead(404).end();
      return;
    }
    const tenant = decodeURIComponent(match[1]!);
    const eventId = decodeURIComponent(match[2]!);
    const key = `${tenant}/${eventId}`;
    calls.push(`${req.method} ${key}${match[3] ?? ''}${url.search}`);
    if (req.method === 'GET' && match[3]) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(stats.get(key) ?? blank(tenant, eventId)));
    } else if (req.method === 'DELETE' && !match[3]) {
      stats.delete(key);
      deleted.push(key);
      res.writeHead(204).end();
    } else res.writeHead(405).end();
  });
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    setStats(tenant, eventId, partial) {
      const key = `${tenant}/${eventId}`;
      stats.set(key, { ...(stats.get(key) ?? blank(tenant, eventId)), known: true, ...partial });
    },
    deleted,
    calls,
    down: stop,
    up: listen,
    close: async () => {
      if (server.listening) await stop();
    },
  };
}
