import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@rediclaim/hack/testing';
import { endpointName, loadSettings, parseMysqlHosts } from '@rediclaim/issuer';

const minimal = {
  MYSQL_URL: 'mysql://app:secret@db-0.db:3306/rediclaim',
  COUPON_CODE_SECRET: 'sixteen-chars-ok',
  KAFKA_BROKERS: 'k1:9092',
  REQUEST_SIGNING_KEYS: 'k1=a-request-signing-secret-of-32-chars!',
};

const messageOf = (env: Record<string, string>): string => {
  try {
    loadSettings(env);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
};

describe('MYSQL_HOSTS, the servers that may be the primary', () => {
  // A real CA file from hack/lib/tls.sh: the TLS settings parse what they read.
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'rc-mysql-hosts-'));
    execFileSync('bash', [
      '-c',
      `source "${repoRoot}/hack/lib/tls.sh" && make_tls_certs "$1"`,
      '_',
      dir,
    ]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads host:port lists, with 3306 where the port is left out and IPv6 in brackets', () => {
    expect(parseMysqlHosts('db-0.db:3306, db-1.db:3307,db-2.db')).toEqual([
      { host: 'db-0.db', port: 3306 },
      { host: 'db-1.db', port: 3307 },
      { host: 'db-2.db', port: 3306 },
    ]);
    expect(parseMysqlHosts('[::1]:3310,127.0.0.1')).toEqual([
      { host: '::1', port: 3310 },
      { host: '127.0.0.1', port: 3306 },
    ]);
    expect(endpointName({ host: '::1', port: 3310 })).toBe('[::1]:3310');
    expect(endpointName({ host: 'db-0.db', port: 3306 })).toBe('db-0.db:3306');
  });

  it('says what is wrong with a list it cannot use', () => {
    expect(parseMysqlHosts('a:3306,,b:3306')).toBe(
      'must be host:port entries separated by commas, none of them empty',
    );
    expect(parseMysqlHosts('a:3306,b:99999')).toBe('"b:99999" has a port outside 1-65535');
    expect(parseMysqlHosts('a:x')).toBe(
      '"a:x" is not host or host:port (an IPv6 address goes in brackets: [::1]:3306)',
    );
    expect(parseMysqlHosts('::1:3306')).toMatch(/^"::1:3306" is not host or host:port/);
    expect(parseMysqlHosts('[db]:3306')).toBe('"[db]:3306" has brackets around no IPv6 address');
    expect(parseMysqlHosts('mysql://a:3306')).toMatch(/is not host or host:port/);
    expect(parseMysqlHosts('a:3306,A:3306')).toBe('lists A:3306 twice');
    expect(parseMysqlHosts(Array.from({ length: 17 }, (_, i) => `h${i}`).join(','))).toBe(
      'lists 17 servers; at most 16',
    );
  });

  it('is optional: without it the issuer uses MYSQL_URL’s server alone', () => {
    expect(loadSettings(minimal).MYSQL_HOSTS).toBeUndefined();
    expect(loadSettings({ ...minimal, MYSQL_HOSTS: '' }).MYSQL_HOSTS).toBeUndefined();
    expect(
      loadSettings({ ...minimal, MYSQL_HOSTS: 'db-1.db:3306,db-0.db:3306' }).MYSQL_HOSTS,
    ).toEqual([
      { host: 'db-1.db', port: 3306 },
      { host: 'db-0.db', port: 3306 },
    ]);
  });

  it('refuses a list that leaves out MYSQL_URL’s server, or one it cannot parse', () => {
    expect(messageOf({ ...minimal, MYSQL_HOSTS: 'db-1.db:3306,db-2.db:3306' })).toContain(
      "MYSQL_HOSTS: must include MYSQL_URL's server (db-0.db:3306): list every server that may be the primary, MYSQL_URL's among them",
    );
    // Same host, another port: another server.
    expect(messageOf({ ...minimal, MYSQL_HOSTS: 'db-0.db:3307' })).toContain(
      "must include MYSQL_URL's server (db-0.db:3306)",
    );
    expect(messageOf({ ...minimal, MYSQL_HOSTS: 'db-0.db:3306,' })).toContain(
      'MYSQL_HOSTS: must be host:port entries separated by commas, none of them empty',
    );
  });

  it('wants DNS names with verify-identity: each certificate is checked against the server reached', () => {
    const tls = {
      ...minimal,
      MYSQL_TLS_MODE: 'verify-identity',
      MYSQL_TLS_CA: path.join(dir, 'ca.crt'),
    };
    expect(messageOf({ ...tls, MYSQL_HOSTS: 'db-0.db:3306,10.0.0.7:3306' })).toContain(
      'MYSQL_HOSTS: names 10.0.0.7:3306 by IP address: with MYSQL_TLS_MODE=verify-identity name every server by a DNS name',
    );
    expect(loadSettings({ ...tls, MYSQL_HOSTS: 'db-0.db:3306,db-1.db:3306' }).MYSQL_HOSTS).toEqual([
      { host: 'db-0.db', port: 3306 },
      { host: 'db-1.db', port: 3306 },
    ]);
    expect(
      loadSettings({ ...tls, MYSQL_TLS_MODE: 'verify-ca', MYSQL_HOSTS: 'db-0.db,10.0.0.7' })
        .MYSQL_HOSTS,
    ).toHaveLength(2);
  });
});
