import { createHash } from 'node:crypto';
import { createConnection, type Connection } from 'mysql2';
import { sqlOn, type CallbackConnection, type Sql } from '../db/connection.js';
import { connectionPartsOf } from '../db/data-source.js';
import type { StreamFactory } from '../db/primary-finder.js';
import { sslOptions, type MysqlTls } from '../db/tls.js';

/**
 * The relay's own MySQL session: one connection, not the pool, holding the named lock
 * that makes its relay the only active one (`GET_LOCK`, held for as long as the session
 * lives, released when it ends however it ends). Every statement of the relay runs on
 * this session, so a session the server lost (and with it the lock, which another
 * replica may now hold) fails the very next statement: the relay stops there, before
 * marking anything, and starts over with a new session.
 */
export class RelaySession {
  readonly sql: Sql;
  /** Set once the connection failed; every later statement fails too. */
  lost?: Error;
  private holding = false;

  private constructor(
    private readonly connection: Connection,
    private readonly lockName: string,
    queryTimeoutMs: number,
  ) {
    this.sql = sqlOn(connection as unknown as CallbackConnection, queryTimeoutMs);
  }

  static async open(
    url: string,
    options: {
      queryTimeoutMs: number;
      lockName?: string;
      tls?: MysqlTls;
      /** Where the session goes (MYSQL_HOSTS: the primary, as the pool's connections). */
      stream?: StreamFactory;
    },
  ): Promise<RelaySession> {
    const parts = connectionPartsOf(url);
    const ssl = sslOptions(options.tls);
    const connection = createConnection({
      ...parts,
      connectTimeout: 10_000,
      charset: 'utf8mb4_bin',
      // DATETIME columns hold UTC, as the pool reads and writes them.
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: false,
      // The pool's TLS: this session carries the same rows and credentials.
      ...(ssl ? { ssl } : {}),
      ...(options.stream ? { stream: options.stream } : {}),
    });
    const session = new RelaySession(
      connection,
      options.lockName ?? relayLockName(parts.database),
      options.queryTimeoutMs,
    );
    // The driver reports a lost connection to the statement in flight, or, between
    // statements, as an event: without a listener that event would end the process.
    connection.on('error', (error: Error) => (session.lost = error));
    try {
      await new Promise<void>((resolve, reject) =>
        connection.connect((error) => (error ? reject(error) : resolve())),
      );
    } catch (error) {
      connection.destroy();
      throw error;
    }
    return session;
  }

  get holdsLock(): boolean {
    return this.holding && !this.lost;
  }

  /** Takes the relay lock if nobody holds it; never waits. */
  async tryLock(): Promise<boolean> {
    if (this.holding) return true;
    const rows = await this.sql<{ got: number | null }[]>('SELECT GET_LOCK(?, 0) AS got', [
      this.lockName,
    ]);
    this.holding = Number(rows[0]?.got) === 1;
    return this.holding;
  }

  /**
   * Gives the lock back and ends the session, or after `timeoutMs` (a server that no
   * longer answers) just closes the connection.
   */
  async close(timeoutMs = 2_000): Promise<void> {
    const ending = (async () => {
      if (this.holdsLock) await this.sql('SELECT RELEASE_LOCK(?)', [this.lockName]);
      await new Promise<void>((resolve, reject) =>
        this.connection.end((error) => (error ? reject(error) : resolve())),
      );
    })().then(
      () => true,
      () => false,
    );
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, timeoutMs, false)));
    const ended = await Promise.race([ending, late]);
    clearTimeout(timer);
    this.holding = false;
    if (!ended) this.connection.destroy();
  }

  /** Ends the session without a word to the server (the lock goes with it). */
  destroy(): void {
    this.holding = false;
    this.connection.destroy();
  }
}

const LOCK_PREFIX = 'rediclaim.outbox-relay';
/** MySQL's limit on a lock name. */
const MAX_LOCK_NAME = 64;

/**
 * The relay lock of one database. Named locks are server-wide, and one server may hold
 * the databases of several installations (or test suites): the database's name keeps
 * their relays apart; a name too long for MySQL's 64 characters is hashed.
 */
export function relayLockName(database: string): string {
  const name = `${LOCK_PREFIX}.${database}`;
  if (name.length <= MAX_LOCK_NAME) return name;
  const hash = createHash('sha256').update(database).digest('hex');
  return `${LOCK_PREFIX}.${hash}`.slice(0, MAX_LOCK_NAME);
}
