import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  choosePrimary,
  errorCode,
  NoPrimaryError,
  PrimaryFinder,
  SeveralPrimariesError,
  type Endpoint,
} from '@rediclaim/issuer';

const a = { host: '10.0.0.1', port: 3306 };
const b = { host: 'db-1.db', port: 3307 };
const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

describe('choosing the primary from what the candidates said', () => {
  it('takes the one server that takes writes, wherever it is in the list', () => {
    expect(
      choosePrimary([
        { endpoint: a, writable: false },
        { endpoint: b, writable: true },
      ]),
    ).toEqual(b);
    expect(
      choosePrimary([
        { endpoint: a, error: refused },
        { endpoint: b, writable: true },
      ]),
    ).toEqual(b);
  });

  it('finds none while the primary is dead and the replica not yet promoted, and says why', () => {
    const none = () =>
      choosePrimary([
        { endpoint: a, error: refused },
        { endpoint: b, writable: false },
      ]);
    expect(none).toThrow(NoPrimaryError);
    expect(none).toThrow(
      'no server takes writes (10.0.0.1:3306: ECONNREFUSED; db-1.db:3307: read-only)',
    );
    let code = '';
    try {
      none();
    } catch (error) {
      code = errorCode(error);
    }
    expect(code).toBe('MYSQL_NO_PRIMARY');
  });

  it('refuses two writable servers (a split brain) instead of picking one', () => {
    const both = () =>
      choosePrimary([
        { endpoint: a, writable: true },
        { endpoint: b, writable: true },
      ]);
    expect(both).toThrow(SeveralPrimariesError);
    expect(both).toThrow(
      '10.0.0.1:3306 and db-1.db:3307 all take writes (read_only off): the issuer writes to none of them until all but one are read-only',
    );
  });
});

/**
 * Two real TCP listeners on loopback stand for the servers (the finder only opens and
 * closes sockets; what MySQL says is the test's `writable` set): which socket goes
 * where, and which are closed when the primary moves.
 */
describe('following the primary', () => {
  let servers: net.Server[];
  let endpoints: Endpoint[];
  const accepted = new Map<number, net.Socket[]>();
  let writable: Set<number>;
  let asked: number;

  beforeEach(async () => {
    servers = [];
    endpoints = [];
    writable = new Set();
    asked = 0;
    for (let i = 0; i < 2; i++) {
      const server = net.createServer((socket) => {
        const port = (server.address() as net.AddressInfo).port;
        accepted.set(port, [...(accepted.get(port) ?? []), socket]);
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      endpoints.push({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
    }
  });
  afterEach(async () => {
    for (const sockets of accepted.values()) for (const s of sockets) s.destroy();
    accepted.clear();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  const finder = (changes: string[] = []) =>
    new PrimaryFinder({
      candidates: endpoints,
      ask: async (e) => {
        asked += 1;
        await new Promise((r) => setTimeout(r, 5));
        return writable.has(e.port);
      },
      changed: (to, from) => changes.push(`${from?.port ?? 'none'} -> ${to.port}`),
    });
  const open = (f: PrimaryFinder) => {
    const config: { host?: string; port?: number } = { host: 'from-the-url', port: 1 };
    const socket = f.stream({ config });
    const closed = new Promise<Error | undefined>((resolve) => {
      let failure: Error | undefined;
      socket.on('error', (e) => (failure = e));
      socket.on('close', () => resolve(failure));
    });
    const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    return { socket, config, closed, connected };
  };

  it('fails a connection asked for before any primary was found, as a refused one', async () => {
    const c = open(finder());
    expect(errorCode(await c.closed)).toBe('MYSQL_NO_PRIMARY');
  });

  it('sends each new connection to the primary, with its own host and port in the connection config', async () => {
    const changes: string[] = [];
    const f = finder(changes);
    writable.add(endpoints[1]!.port);
    expect(await f.find()).toEqual(endpoints[1]);
    const c = open(f);
    await c.connected;
    expect(c.config).toEqual(endpoints[1]);
    expect(c.socket.remotePort).toBe(endpoints[1]!.port);
    expect(changes).toEqual([`none -> ${endpoints[1]!.port}`]);
    expect(f.openConnections).toBe(1);
    c.socket.destroy();
    await c.closed;
    expect(f.openConnections).toBe(0);
  });

  it('asks every candidate once for callers that ask at the same time', async () => {
    const f = finder();
    writable.add(endpoints[0]!.port);
    const found = await Promise.all([f.find(), f.find(), f.find()]);
    expect(found).toEqual([endpoints[0], endpoints[0], endpoints[0]]);
    expect(asked).toBe(2);
    await f.find();
    expect(asked).toBe(4);
  });

  it('closes the connections to the old primary when another takes over, and keeps the new ones', async () => {
    const changes: string[] = [];
    const f = finder(changes);
    const [first, second] = endpoints as [Endpoint, Endpoint];
    writable.add(first.port);
    await f.find();
    const old = [open(f), open(f)];
    await Promise.all(old.map((c) => c.connected));

    // Failover: the old primary demoted (read-only, still up), the replica promoted.
    writable.clear();
    writable.add(second.port);
    expect(await f.find()).toEqual(second);
    const fresh = open(f);
    await fresh.connected;
    // Closed with an error statements in flight on them fail with.
    expect((await Promise.all(old.map((c) => c.closed))).map(errorCode)).toEqual([
      'MYSQL_PRIMARY_MOVED',
      'MYSQL_PRIMARY_MOVED',
    ]);
    expect(old.every((c) => c.socket.destroyed)).toBe(true);
    expect(fresh.socket.destroyed).toBe(false);
    expect(fresh.config).toEqual(second);
    expect(f.openConnections).toBe(1);
    expect(changes).toEqual([`none -> ${first.port}`, `${first.port} -> ${second.port}`]);
    fresh.socket.destroy();
  });

  it('keeps its primary and its connections when a search finds none or two', async () => {
    const f = finder();
    const [first, second] = endpoints as [Endpoint, Endpoint];
    writable.add(first.port);
    await f.find();
    const c = open(f);
    await c.connected;

    writable.clear();
    await expect(f.find()).rejects.toThrow(NoPrimaryError);
    writable.add(first.port);
    writable.add(second.port);
    await expect(f.find()).rejects.toThrow(SeveralPrimariesError);
    expect(f.current).toEqual(first);
    expect(c.socket.destroyed).toBe(false);
    expect(f.openConnections).toBe(1);
    c.socket.destroy();
  });
});
