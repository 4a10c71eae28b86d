import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import {
  createTestDatabase,
  mysqlPairOf,
  mysqlRoot,
  startPrivateStack,
  type MysqlServer,
  type PrivateStack,
  type TestDatabase,
} from '@rediclaim/hack/testing';
import {
  createDataSource,
  NoPrimaryError,
  PrimaryFinder,
  RelaySession,
  takesWrites,
  type Endpoint,
  type MysqlTls,
} from '@rediclaim/issuer';
import { eventually } from './support/eventually.js';
import { tlsOf, type TlsFiles } from './support/tls-mariadb.js';

/** Which server a connection reached, and the TLS it negotiated there. */
const whereAndHow = `SELECT @@port AS port,
  (SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'SSL_VERSION') AS tls`;

// A TLS-only replicated pair (require_secure_transport, users REQUIRE SSL, one
// certificate for localhost): with MYSQL_HOSTS every connection is opened by the
// finder, not by mysql2 from MYSQL_URL's host, and must still be TLS, its certificate
// checked against the name of the server it reached.
describe('following the primary over verified TLS', () => {
  let stack: PrivateStack;
  let files: TlsFiles;
  let primary: MysqlServer;
  let replica: MysqlServer;
  let db: TestDatabase;
  let tls: MysqlTls;
  let candidates: Endpoint[];
  const url = () => `mysql://${db.user}:${db.password}@localhost:${primary.port}/${db.name}`;
  const finderTrusting = (trust: MysqlTls) =>
    new PrimaryFinder({
      candidates,
      ask: (e) =>
        takesWrites(e, { user: db.user, password: db.password, tls: trust, timeoutMs: 2_000 }),
    });

  beforeAll(async () => {
    stack = await startPrivateStack('failover-tls', ['mariadb'], { tls: true, mysqlReplica: true });
    files = stack.env.mysqlTls!;
    ({ primary, replica } = mysqlPairOf(stack.env));
    db = await createTestDatabase('tls_failover', stack.env);
    tls = tlsOf(files, 'verify-identity');
    // By name (verify-identity), the replica first.
    candidates = [replica, primary].map((s) => ({ host: 'localhost', port: s.port }));
  }, 120_000);
  afterAll(async () => {
    await stack?.destroy();
  });

  it('opens the pool and the relay session on the primary, then on the promoted replica, TLS throughout', async () => {
    const finder = finderTrusting(tls);
    expect(await finder.find()).toEqual({ host: 'localhost', port: primary.port });
    let ds: DataSource | undefined;
    let session: RelaySession | undefined;
    try {
      ds = createDataSource({
        url: url(),
        dialect: 'mariadb',
        poolSize: 2,
        tls,
        stream: finder.stream,
      });
      await ds.initialize();
      const [before] = (await ds.query(whereAndHow)) as { port: number; tls: string }[];
      expect(before).toEqual({ port: primary.port, tls: expect.stringMatching(/^TLSv1\.[23]$/) });
      session = await RelaySession.open(url(), {
        queryTimeoutMs: 5_000,
        tls,
        stream: finder.stream,
      });
      expect(await session.sql<{ port: number }[]>('SELECT @@port AS port')).toEqual([
        { port: primary.port },
      ]);

      await mysqlRoot(primary, 'SET GLOBAL read_only=ON');
      await stack.stack('promote', 'mariadb');
      expect(await finder.find()).toEqual({ host: 'localhost', port: replica.port });
      // The session to the old primary is closed under it; a new one goes to the new.
      await eventually(() => session!.lost !== undefined, 5_000, 'the old session closed');
      session.destroy();
      session = await RelaySession.open(url(), {
        queryTimeoutMs: 5_000,
        tls,
        stream: finder.stream,
      });
      expect(await session.sql<{ port: number }[]>('SELECT @@port AS port')).toEqual([
        { port: replica.port },
      ]);
      // The pool's connections to the old primary are gone; it refills on the new one.
      let after: { port: number; tls: string } | undefined;
      await eventually(
        async () => {
          after = ((await ds!.query(whereAndHow).catch(() => [])) as (typeof after)[])[0];
          return after?.port === replica.port;
        },
        10_000,
        'a pooled connection on the promoted replica',
      );
      expect(after).toEqual({ port: replica.port, tls: expect.stringMatching(/^TLSv1\.[23]$/) });
    } finally {
      session?.destroy();
      await ds?.destroy();
    }
  }, 60_000);

  it('takes no server whose certificate it cannot verify for a candidate', async () => {
    const finder = finderTrusting(tlsOf(files, 'verify-identity', { ca: files.otherCaFile }));
    const found = finder.find();
    await expect(found).rejects.toThrow(NoPrimaryError);
    await expect(found).rejects.toThrow(
      /^no server takes writes \(localhost:\d+: [A-Z_]+; localhost:\d+: [A-Z_]+\)$/,
    );
    await expect(found).rejects.not.toThrow(/read-only/);
  });
});
