import net from 'node:net';
import { choosePrimary, NoPrimaryError, type Answer } from './primary-choice.js';
import { endpointName, sameEndpoint, type Endpoint } from './mysql-hosts.js';

/**
 * mysql2's `stream` option: called for every new connection with that connection's own
 * config (mysql2 gives each its copy), returns the socket to speak MySQL over.
 */
export type StreamFactory = (opts: { config: { host?: string; port?: number } }) => net.Socket;

/** What a statement on a connection to the old primary fails with once the primary moved. */
export class PrimaryMovedError extends Error {
  readonly code = 'MYSQL_PRIMARY_MOVED';
}

export interface PrimaryFinderOptions {
  /** MYSQL_HOSTS: every server that may be the primary. */
  candidates: readonly Endpoint[];
  /** Whether the server takes writes (read_only off); throws when it cannot tell. */
  ask(endpoint: Endpoint): Promise<boolean>;
  /** The primary was found for the first time (`from` undefined) or moved. */
  changed?(to: Endpoint, from: Endpoint | undefined): void;
}

/**
 * Which of the candidates is the primary, for every connection the issuer opens (its
 * pool, its migrations, the outbox relay's session): find() asks every candidate whether
 * it takes writes and keeps the one that does; `stream` opens each new connection to
 * it. When the primary moves, the connections to any other server are closed under
 * whatever they were doing: one to a demoted server that is still alive would go on
 * failing (read-only) or, worse, reading a server that no longer learns of new
 * coupons. mysql2 drops a connection whose socket closed, so the pool refills on the
 * new primary as connections are asked for; nothing has to be rebuilt.
 *
 * find() runs when the database monitor checks (db/database-monitor.ts), which it does
 * whenever a statement failed (a lost connection, a write refused as read-only) and
 * every MYSQL_CHECK_INTERVAL_MS: the monitor's outage handling (pause, backoff,
 * resume) is also what carries the issuer across a failover.
 */
export class PrimaryFinder {
  private primary: Endpoint | undefined;
  private finding: Promise<Endpoint> | undefined;
  /** Every open socket this finder made, and the server it goes to. */
  private readonly sockets = new Map<net.Socket, Endpoint>();

  constructor(private readonly options: PrimaryFinderOptions) {
    if (options.candidates.length === 0) throw new Error('a PrimaryFinder needs candidates');
  }

  /** The primary found last; undefined before the first find() succeeded. */
  get current(): Endpoint | undefined {
    return this.primary;
  }

  /** Open connections this finder made, for metrics and tests. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /**
   * Asks every candidate at once and returns the one primary; callers in the meantime
   * share the answer. Throws NoPrimaryError or SeveralPrimariesError, and then keeps
   * the primary it had: a server that does not answer one probe may still be serving
   * (a slow check must not cut every transaction short), and one that is down or
   * read-only fails the connections by itself.
   */
  find(): Promise<Endpoint> {
    this.finding ??= this.askAll().finally(() => (this.finding = undefined));
    return this.finding;
  }

  private async askAll(): Promise<Endpoint> {
    const answers = await Promise.all(
      this.options.candidates.map(async (endpoint): Promise<Answer> => {
        try {
          return { endpoint, writable: await this.options.ask(endpoint) };
        } catch (error) {
          return { endpoint, error };
        }
      }),
    );
    const chosen = choosePrimary(answers);
    const previous = this.primary;
    if (previous && sameEndpoint(previous, chosen)) return chosen;
    this.primary = chosen;
    for (const [socket, endpoint] of this.sockets) {
      if (sameEndpoint(endpoint, chosen)) continue;
      // With an error, not a plain close: over TLS, mysql2 then ends the TLS socket as a
      // broken one; after a plain close it would end it as a live one, fail (the socket
      // under it is gone) and report that second failure where nobody listens, which
      // ends the process.
      socket.destroy(
        new PrimaryMovedError(
          `the primary moved to ${endpointName(chosen)}: this connection to ${endpointName(endpoint)} was closed`,
        ),
      );
    }
    this.options.changed?.(chosen, previous);
    return chosen;
  }

  /** mysql2's `stream` option: every new connection goes to the primary found last. */
  readonly stream: StreamFactory = (opts) => {
    const target = this.primary;
    if (!target) {
      // Failed on the next turn, once mysql2 listens: as a refused connection would.
      const socket = new net.Socket();
      process.nextTick(() =>
        socket.destroy(new NoPrimaryError('no primary found yet among MYSQL_HOSTS')),
      );
      return socket;
    }
    // Into the connection's own config: its TLS checks the certificate against the name
    // of the server it reached, not MYSQL_URL's.
    opts.config.host = target.host;
    opts.config.port = target.port;
    const socket = net.connect(target.port, target.host);
    // What mysql2 does with the sockets it makes itself.
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    this.sockets.set(socket, target);
    socket.once('close', () => this.sockets.delete(socket));
    return socket;
  };
}
