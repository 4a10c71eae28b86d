import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import {
  createTestDatabase,
  stackEnv,
  uniqueName,
  type TestDatabase,
} from '@rediclaim/hack/testing';
import {
  createDataSource,
  createLogger,
  decideEvent,
  detectDialect,
  distinctRequests,
  loadSettings,
  openDatabase,
  pingDatabase,
  RelaySession,
  type MysqlTls,
} from '@rediclaim/issuer';
import { crowd, policy, SECRET, SIGNING_KEYS } from './support/requests.js';
import {
  connectAdmin,
  refusal,
  startTlsMariadb,
  tlsOf,
  type TlsFiles,
} from './support/tls-mariadb.js';

/** The TLS version a connection of the pool negotiated; '' for plaintext. */
async function sslVersion(ds: DataSource): Promise<string> {
  const rows = (await ds.query("SHOW SESSION STATUS LIKE 'Ssl_version'")) as { Value: string }[];
  return rows[0]?.Value ?? '';
}

/** Connects a pool with `tls` and says what the server negotiated, closing it again. */
async function connectWith(url: string, tls: MysqlTls | undefined): Promise<string> {
  const ds = createDataSource({ url, dialect: 'mariadb', poolSize: 2, ...(tls ? { tls } : {}) });
  await ds.initialize();
  try {
    return await sslVersion(ds);
  } finally {
    await ds.destroy();
  }
}

function settingsFor(url: string, tls: Record<string, string>) {
  return loadSettings({
    MYSQL_URL: url,
    COUPON_CODE_SECRET: SECRET,
    REQUEST_SIGNING_KEYS: SIGNING_KEYS,
    KAFKA_BROKERS: '127.0.0.1:1',
    ...tls,
  });
}

// Private MariaDBs started TLS only (require_secure_transport, the user REQUIRE SSL), each
// with an authority of its own: one presenting its certificate for 127.0.0.1/localhost,
// one ("elsewhere") a certificate its authority signed for another name. Plaintext is the
// shared test stack's MariaDB.
describe('the issuer reaching MariaDB over TLS', () => {
  let server: Awaited<ReturnType<typeof startTlsMariadb>>;
  let elsewhere: Awaited<ReturnType<typeof startTlsMariadb>>;
  let files: TlsFiles;
  let db: TestDatabase;
  /** The wrong-host server, by a name its certificate does not hold. */
  let elsewhereUrl: string;

  beforeAll(async () => {
    const started = await Promise.allSettled([
      startTlsMariadb('mytls'),
      startTlsMariadb('mytls-wrong-host', 'wrong-host'),
    ]);
    const [first, second] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
    if (first) server = first;
    if (second) elsewhere = second;
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    files = server.files;
    db = await createTestDatabase('issuer_tls', server.stack.env);
    const { port, user, password } = elsewhere.stack.env.mysql;
    elsewhereUrl = `mysql://${user}:${password}@localhost:${port}/information_schema`;
  }, 120_000);
  afterAll(async () => {
    await db?.drop().catch(() => undefined);
    await Promise.all([server?.stack.destroy(), elsewhere?.stack.destroy()]);
  });

  it('migrates, issues in a transaction, pings and holds the relay lock with verify-identity', async () => {
    const settings = settingsFor(db.url, {
      MYSQL_TLS_MODE: 'verify-identity',
      MYSQL_TLS_CA: files.caFile,
    });
    // Dialect detection, the migrations' pool and the issuer's pool: all over TLS.
    const ds = await openDatabase(settings, createLogger('silent'));
    try {
      expect(await sslVersion(ds)).toMatch(/^TLSv1\.[23]$/);
      await pingDatabase(ds);
      const eventId = uniqueName('tls');
      const p = policy({ stock: 3 });
      const decision = await decideEvent(
        ds,
        SECRET,
        { tenant: 'shop', eventId, uid: '' },
        distinctRequests(crowd('shop', eventId, 5, p)),
      );
      const outcomes = [...decision.results.values()].map((r) => r.outcome).sort();
      expect(outcomes).toEqual(['ISSUED', 'ISSUED', 'ISSUED', 'SOLD_OUT', 'SOLD_OUT']);
      const rows = (await ds.query('SELECT COUNT(*) AS n FROM issued_coupons')) as { n: number }[];
      expect(Number(rows[0]!.n)).toBe(3);
    } finally {
      await ds.destroy();
    }
    const session = await RelaySession.open(db.url, {
      queryTimeoutMs: 5_000,
      tls: tlsOf(files, 'verify-identity'),
    });
    try {
      expect(await session.tryLock()).toBe(true);
      const [status] = await session.sql<{ Value: string }[]>(
        "SHOW SESSION STATUS LIKE 'Ssl_version'",
      );
      expect(status?.Value).toMatch(/^TLSv1\.[23]$/);
    } finally {
      await session.close();
    }
  });

  it('is refused by the server in plaintext (MYSQL_TLS_MODE=disabled), at every connection', async () => {
    const settings = settingsFor(db.url, {});
    const error = await refusal(() => openDatabase(settings, createLogger('silent')));
    expect(error.code).toBe('ER_ACCESS_DENIED_ERROR');
    const relay = await refusal(() => RelaySession.open(db.url, { queryTimeoutMs: 5_000 }));
    expect(relay.code).toBe('ER_ACCESS_DENIED_ERROR');
  });

  it('is refused in plaintext by the server itself, not only by the user REQUIRE SSL', async () => {
    // A user with no REQUIRE clause: require_secure_transport alone must turn it away.
    const user = uniqueName('plain').replace(/-/g, '_').slice(0, 32);
    const admin = await connectAdmin(server.stack, files);
    try {
      await admin.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'pw'`);
      const url = `mysql://${user}:pw@localhost:${server.stack.env.mysql.port}/information_schema`;
      expect(await connectWith(url, tlsOf(files, 'verify-identity'))).toMatch(/^TLSv1/);
      const error = await refusal(() => connectWith(url, undefined));
      expect(error.code).toBe('ER_ACCESS_DENIED_ERROR');
    } finally {
      await admin.query(`DROP USER '${user}'@'127.0.0.1'`);
      await admin.end();
    }
  });

  it('refuses a server whose certificate chains to an authority it does not trust', async () => {
    for (const mode of ['verify-ca', 'verify-identity'] as const) {
      const tls = tlsOf(files, mode, { ca: files.otherCaFile });
      const error = await refusal(() => connectWith(db.url, tls));
      expect(error.code).toBe('HANDSHAKE_SSL_ERROR');
      expect(error.message).toMatch(/self-signed certificate in certificate chain/);
      // Dialect detection and the relay's session check the same.
      const dialect = await refusal(() => detectDialect(db.url, { tls }));
      expect(dialect.code).toBe('HANDSHAKE_SSL_ERROR');
      const relay = await refusal(() => RelaySession.open(db.url, { queryTimeoutMs: 5_000, tls }));
      expect(relay.code).toBe('HANDSHAKE_SSL_ERROR');
    }
  });

  it('refuses, with verify-identity, a certificate of the trusted authority for another name', async () => {
    const error = await refusal(() =>
      connectWith(elsewhereUrl, tlsOf(elsewhere.files, 'verify-identity')),
    );
    expect(error.code).toBe('HANDSHAKE_SSL_ERROR');
    expect(error.message).toMatch(/Hostname\/IP does not match certificate's altnames/);
    expect(error.message).toMatch(/elsewhere\.invalid/);
  });

  it('accepts that certificate with verify-ca, which checks the chain only', async () => {
    expect(await connectWith(elsewhereUrl, tlsOf(elsewhere.files, 'verify-ca'))).toMatch(/^TLSv1/);
  });

  it('encrypts with required, whoever the certificate is for', async () => {
    expect(await connectWith(elsewhereUrl, { mode: 'required' })).toMatch(/^TLSv1/);
  });

  it('checks an IP address as "localhost" in mysql2, which is why verify-identity needs a name', async () => {
    // When this starts failing mysql2 checks addresses itself, and settings may allow them.
    const url = elsewhereUrl.replace('@localhost:', '@127.0.0.1:');
    const error = await refusal(() => connectWith(url, tlsOf(elsewhere.files, 'verify-identity')));
    expect(error.message).toMatch(/Host: localhost\. is not in the cert's altnames/);
  });

  it('presents a client certificate to a user created REQUIRE X509', async () => {
    const user = uniqueName('x509').replace(/-/g, '_').slice(0, 32);
    const admin = await connectAdmin(server.stack, files);
    try {
      await admin.query(
        `CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY 'pw' REQUIRE SUBJECT '/CN=rediclaim-client'`,
      );
      const url = `mysql://${user}:pw@localhost:${server.stack.env.mysql.port}/information_schema`;
      const withCert = tlsOf(files, 'verify-identity', { clientCert: true });
      expect(await connectWith(url, withCert)).toMatch(/^TLSv1/);
      const error = await refusal(() => connectWith(url, tlsOf(files, 'verify-identity')));
      expect(error.code).toBe('ER_ACCESS_DENIED_ERROR');
    } finally {
      await admin.query(`DROP USER '${user}'@'127.0.0.1'`);
      await admin.end();
    }
  });

  it('never falls back to plaintext when the server offers no TLS', async () => {
    const plain = await createTestDatabase('issuer_notls', stackEnv());
    try {
      const url = plain.url.replace('@127.0.0.1:', '@localhost:');
      for (const mode of ['required', 'verify-ca', 'verify-identity'] as const) {
        const tls = mode === 'required' ? { mode } : tlsOf(files, mode);
        const error = await refusal(() => connectWith(url, tls));
        expect(error.code).toBe('HANDSHAKE_NO_SSL_SUPPORT');
      }
      const settings = settingsFor(url, { MYSQL_TLS_MODE: 'required' });
      const issuer = await refusal(() => openDatabase(settings, createLogger('silent')));
      expect(issuer.code).toBe('HANDSHAKE_NO_SSL_SUPPORT');
    } finally {
      await plain.drop();
    }
  });
});
