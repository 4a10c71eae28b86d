import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { settingFiles } from '@rediclaim/core';
import { MYSQL_TLS_MODES, type MysqlTls, type MysqlTlsMode } from './tls.js';

const { pemCertificatesFile, pemPrivateKeyFile } = settingFiles((path) =>
  readFileSync(path, 'utf8'),
);

/**
 * The MySQL TLS settings: files are named by path, as a Kubernetes Secret mounts them,
 * and each is read and parsed while the settings are checked, so a missing file, a
 * certificate that is not one or a key that does not match is a start-up error naming
 * the variable, not a handshake failing later over and over.
 */
export const mysqlTlsSettings = {
  MYSQL_TLS_MODE: z.enum(MYSQL_TLS_MODES).default('disabled'),
  /** A PEM bundle of the authorities the server's certificate must chain to. */
  MYSQL_TLS_CA: pemCertificatesFile().optional(),
  /** A client certificate and its key, for a user created REQUIRE X509 (or SUBJECT/ISSUER). */
  MYSQL_TLS_CERT: pemCertificatesFile().optional(),
  MYSQL_TLS_KEY: pemPrivateKeyFile().optional(),
};

type MysqlTlsSettings = { MYSQL_URL: string } & z.output<z.ZodObject<typeof mysqlTlsSettings>>;

/** A settings problem: the variable it is about and a sentence. */
interface Issue {
  path: keyof MysqlTlsSettings;
  message: string;
}

/** What the TLS settings contradict or leave out (each file is checked on its own above). */
export function mysqlTlsIssues(s: MysqlTlsSettings): Issue[] {
  const issues: Issue[] = [];
  const mode = s.MYSQL_TLS_MODE;
  if (mode === 'disabled') {
    for (const path of ['MYSQL_TLS_CA', 'MYSQL_TLS_CERT', 'MYSQL_TLS_KEY'] as const)
      if (s[path] !== undefined)
        issues.push({
          path,
          message:
            'means nothing while MYSQL_TLS_MODE is disabled (the default): set MYSQL_TLS_MODE to verify-identity, verify-ca or required',
        });
    return issues;
  }
  if (verifies(mode) && s.MYSQL_TLS_CA === undefined)
    issues.push({
      path: 'MYSQL_TLS_CA',
      message: `is required with MYSQL_TLS_MODE=${mode}: the PEM file of the authority that signed the server's certificate (for a publicly trusted server, the system bundle, e.g. /etc/ssl/certs/ca-certificates.crt)`,
    });
  if (mode === 'required' && s.MYSQL_TLS_CA !== undefined)
    issues.push({
      path: 'MYSQL_TLS_CA',
      message:
        "is not used with MYSQL_TLS_MODE=required, which encrypts without checking the server's certificate: set MYSQL_TLS_MODE=verify-identity (or verify-ca) to check it",
    });
  if ((s.MYSQL_TLS_CERT === undefined) !== (s.MYSQL_TLS_KEY === undefined))
    issues.push({
      path: s.MYSQL_TLS_CERT === undefined ? 'MYSQL_TLS_CERT' : 'MYSQL_TLS_KEY',
      message: 'a client certificate needs its key, and a key its certificate',
    });
  else if (s.MYSQL_TLS_CERT !== undefined && s.MYSQL_TLS_KEY !== undefined)
    if (!s.MYSQL_TLS_CERT.first.checkPrivateKey(s.MYSQL_TLS_KEY.key))
      issues.push({ path: 'MYSQL_TLS_KEY', message: 'is not the key of MYSQL_TLS_CERT' });
  const host = hostOf(s.MYSQL_URL);
  if (mode === 'verify-identity' && host !== undefined && isIP(host) !== 0)
    issues.push({
      path: 'MYSQL_URL',
      // mysql2 sends no server name for an address and Node then checks the certificate
      // against "localhost": a certificate for localhost would pass, one for the address fail.
      message: `names the server by IP address (${host}): with MYSQL_TLS_MODE=verify-identity name it by a DNS name its certificate holds (the driver cannot check an address), or use verify-ca`,
    });
  return issues;
}

/** mysqlTlsIssues as a settings schema's superRefine reports them. */
export function refineMysqlTls(s: MysqlTlsSettings, ctx: z.RefinementCtx): void {
  for (const issue of mysqlTlsIssues(s))
    ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
}

/** The TLS of the issuer's MySQL connections, its files read (once, at start-up). */
export function mysqlTlsOf(s: Omit<MysqlTlsSettings, 'MYSQL_URL'>): MysqlTls {
  const [ca, cert, key] = [s.MYSQL_TLS_CA, s.MYSQL_TLS_CERT, s.MYSQL_TLS_KEY].map((file) =>
    file === undefined ? undefined : Buffer.from(file.pem),
  );
  return {
    mode: s.MYSQL_TLS_MODE,
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
  };
}

/** How MySQL is reached, for start-up logs (never a secret). */
export function describeMysqlTls(s: Omit<MysqlTlsSettings, 'MYSQL_URL'>): string {
  if (s.MYSQL_TLS_MODE === 'disabled') return 'plaintext';
  return `TLS ${s.MYSQL_TLS_MODE}${s.MYSQL_TLS_CERT ? ' with a client certificate' : ''}`;
}

function verifies(mode: MysqlTlsMode): boolean {
  return mode === 'verify-ca' || mode === 'verify-identity';
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}
