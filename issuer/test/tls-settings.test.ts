import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@rediclaim/hack/testing';
import { describeMysqlTls, loadSettings, mysqlTlsOf, sslOptions } from '@rediclaim/issuer';

const minimal = {
  MYSQL_URL: 'mysql://app:secret@db.example:3306/rediclaim',
  COUPON_CODE_SECRET: 'sixteen-chars-ok',
  KAFKA_BROKERS: 'k1:9092',
  REQUEST_SIGNING_KEYS: 'k1=a-request-signing-secret-of-32-chars!',
};

function problem(env: Record<string, string>): string {
  try {
    loadSettings({ ...minimal, ...env });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the settings were accepted');
}

// Real files from hack/lib/tls.sh: the checks parse what they read.
describe('issuer MySQL TLS settings', () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rc-mysql-tls-'));
    execFileSync('bash', [
      '-c',
      `source "${repoRoot}/hack/lib/tls.sh" && make_tls_certs "$1"`,
      '_',
      dir,
    ]);
    writeFileSync(file('not-pem.txt'), 'hello\n');
    writeFileSync(
      file('broken.crt'),
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('talks plaintext unless told otherwise', () => {
    const s = loadSettings(minimal);
    expect(s.MYSQL_TLS_MODE).toBe('disabled');
    expect(sslOptions(mysqlTlsOf(s))).toBeUndefined();
    expect(describeMysqlTls(s)).toBe('plaintext');
  });

  it('verifies the chain and the name with verify-identity, a client certificate when given', () => {
    const s = loadSettings({
      ...minimal,
      MYSQL_TLS_MODE: 'verify-identity',
      MYSQL_TLS_CA: file('ca.crt'),
      MYSQL_TLS_CERT: file('client.crt'),
      MYSQL_TLS_KEY: file('client.key'),
    });
    const ssl = sslOptions(mysqlTlsOf(s))!;
    expect(ssl).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true });
    expect(String(ssl.ca)).toContain('BEGIN CERTIFICATE');
    expect(String(ssl.cert)).toContain('BEGIN CERTIFICATE');
    expect(String(ssl.key)).toContain('PRIVATE KEY');
    expect(describeMysqlTls(s)).toBe('TLS verify-identity with a client certificate');
  });

  it('verifies the chain only with verify-ca, and nothing with required', () => {
    const ca = loadSettings({
      ...minimal,
      MYSQL_TLS_MODE: 'verify-ca',
      MYSQL_TLS_CA: file('ca.crt'),
    });
    expect(sslOptions(mysqlTlsOf(ca))).toMatchObject({
      rejectUnauthorized: true,
      verifyIdentity: false,
    });
    const required = loadSettings({ ...minimal, MYSQL_TLS_MODE: 'required' });
    expect(sslOptions(mysqlTlsOf(required))).toEqual({ rejectUnauthorized: false });
  });

  it('accepts a bundle of several authorities', () => {
    const bundle = file('bundle.crt');
    execFileSync('bash', ['-c', `cat "$1/other-ca.crt" "$1/ca.crt" >"$2"`, '_', dir, bundle]);
    expect(() =>
      loadSettings({ ...minimal, MYSQL_TLS_MODE: 'verify-ca', MYSQL_TLS_CA: bundle }),
    ).not.toThrow();
  });

  it('says so when the CA file does not exist', () => {
    expect(
      problem({ MYSQL_TLS_MODE: 'verify-identity', MYSQL_TLS_CA: file('missing.crt') }),
    ).toContain(`MYSQL_TLS_CA: names no file: ${file('missing.crt')} does not exist`);
  });

  it('says so when the CA file cannot be read', () => {
    expect(problem({ MYSQL_TLS_MODE: 'verify-ca', MYSQL_TLS_CA: dir })).toContain(
      `MYSQL_TLS_CA: cannot read ${dir} (EISDIR)`,
    );
  });

  it('refuses a CA file that holds no certificate, or one that does not parse', () => {
    expect(problem({ MYSQL_TLS_MODE: 'verify-ca', MYSQL_TLS_CA: file('not-pem.txt') })).toContain(
      `MYSQL_TLS_CA: ${file('not-pem.txt')} holds no PEM certificate`,
    );
    expect(problem({ MYSQL_TLS_MODE: 'verify-ca', MYSQL_TLS_CA: file('broken.crt') })).toContain(
      `MYSQL_TLS_CA: certificate 1 of ${file('broken.crt')} cannot be read`,
    );
  });

  it('needs a CA for the modes that verify', () => {
    for (const mode of ['verify-ca', 'verify-identity'])
      expect(problem({ MYSQL_TLS_MODE: mode })).toContain(
        `MYSQL_TLS_CA: is required with MYSQL_TLS_MODE=${mode}`,
      );
  });

  it('refuses a CA with required, which would not check it', () => {
    expect(problem({ MYSQL_TLS_MODE: 'required', MYSQL_TLS_CA: file('ca.crt') })).toContain(
      'MYSQL_TLS_CA: is not used with MYSQL_TLS_MODE=required',
    );
  });

  it('refuses TLS files while TLS is disabled', () => {
    expect(problem({ MYSQL_TLS_CA: file('ca.crt') })).toContain(
      'MYSQL_TLS_CA: means nothing while MYSQL_TLS_MODE is disabled',
    );
  });

  it('refuses a mode MySQL clients do not have, and preferred (it falls back to plaintext)', () => {
    for (const mode of ['preferred', 'REQUIRED', 'on'])
      expect(problem({ MYSQL_TLS_MODE: mode })).toContain(
        'MYSQL_TLS_MODE: must be one of "disabled", "required", "verify-ca", "verify-identity"',
      );
  });

  it('needs a client certificate and its key together, and the key to be that certificate’s', () => {
    const tls = { MYSQL_TLS_MODE: 'verify-ca', MYSQL_TLS_CA: file('ca.crt') };
    expect(problem({ ...tls, MYSQL_TLS_CERT: file('client.crt') })).toContain(
      'MYSQL_TLS_KEY: a client certificate needs its key',
    );
    expect(problem({ ...tls, MYSQL_TLS_KEY: file('client.key') })).toContain(
      'MYSQL_TLS_CERT: a client certificate needs its key',
    );
    expect(
      problem({ ...tls, MYSQL_TLS_CERT: file('client.crt'), MYSQL_TLS_KEY: file('server.key') }),
    ).toContain('MYSQL_TLS_KEY: is not the key of MYSQL_TLS_CERT');
  });

  it('refuses a key file that holds no key, without showing what it holds', () => {
    const message = problem({
      MYSQL_TLS_MODE: 'required',
      MYSQL_TLS_CERT: file('client.crt'),
      MYSQL_TLS_KEY: file('not-pem.txt'),
    });
    expect(message).toContain(`MYSQL_TLS_KEY: ${file('not-pem.txt')} is not a PEM private key`);
    expect(message).not.toContain('hello');
  });

  it('refuses verify-identity for a server named by IP address, which mysql2 cannot check', () => {
    for (const host of ['10.0.0.7', '[fd00::7]'])
      expect(
        problem({
          MYSQL_URL: `mysql://app:secret@${host}:3306/rediclaim`,
          MYSQL_TLS_MODE: 'verify-identity',
          MYSQL_TLS_CA: file('ca.crt'),
        }),
      ).toContain('MYSQL_URL: names the server by IP address');
    expect(() =>
      loadSettings({
        ...minimal,
        MYSQL_URL: 'mysql://app:secret@10.0.0.7:3306/rediclaim',
        MYSQL_TLS_MODE: 'verify-ca',
        MYSQL_TLS_CA: file('ca.crt'),
      }),
    ).not.toThrow();
  });

  it('refuses URL parameters, which would be ignored (an ssl-mode there would mean plaintext)', () => {
    expect(
      problem({ MYSQL_URL: 'mysql://app:secret@db:3306/rediclaim?ssl-mode=REQUIRED' }),
    ).toContain('MYSQL_URL: must not carry parameters');
  });
});
