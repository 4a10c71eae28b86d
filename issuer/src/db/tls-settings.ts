import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { MYSQL_TLS_MODES, type MysqlTls, type MysqlTlsMode } from './tls.js';

/**
 * The MySQL TLS settings: files are named by path, as a Kubernetes Secret mounts them,
 * and each is read and parsed while the settings are checked, so a missing file, a
 * certificate that is not one or a key that does not match is a start-up error naming
 * the variable, not a handshake failing later over and over.
 */
export const mysqlTlsSettings = {
  MYSQL_TLS_MODE: z.enum(MYSQL_TLS_MODES).default('disabled'),
  /** A PEM bundle of the authorities the server's certificate must chain to. */
  MYSQL_TLS_CA: pemFile('certificates'),
  /** A client certificate and its key, for a user created REQUIRE X509 (or SUBJECT/ISSUER). */
  MYSQL_TLS_CERT: pemFile('certificates'),
  MYSQL_TLS_KEY: pemFile('key'),
};

type MysqlTlsSettings = { MYSQL_URL: string } & z.output<z.ZodObject<typeof mysqlTlsSettings>>;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function pemFile(kind: 'certificates' | 'key') {
  return z
    .string()
    .min(1)
    .superRefine((path, ctx) => {
      const problem = pemProblem(path, kind);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional();
}

/** What is wrong with the file, in a sentence; undefined when it holds what it should. */
function pemProblem(path: string, kind: 'certificates' | 'key'): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `names no file: ${path} does not exist`
      : `cannot be read: ${path} (${code ?? String(error)})`;
  }
  if (kind === 'key') {
    try {
      createPrivateKey(text);
      return undefined;
    } catch {
      // The file's contents stay out of the message: it is a secret.
      return `is not a PEM private key: ${path}`;
    }
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return `holds no PEM certificate (-----BEGIN CERTIFICATE-----): ${path}`;
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return `certificate ${i + 1} of ${path} cannot be parsed`;
    }
  }
  return undefined;
}

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
    if (!keyMatches(s.MYSQL_TLS_CERT, s.MYSQL_TLS_KEY))
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
  const read = (path: string | undefined) => (path === undefined ? undefined : readFileSync(path));
  const [ca, cert, key] = [s.MYSQL_TLS_CA, s.MYSQL_TLS_CERT, s.MYSQL_TLS_KEY].map(read);
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

function keyMatches(certPath: string, keyPath: string): boolean {
  try {
    const cert = new X509Certificate(readFileSync(certPath));
    return cert.checkPrivateKey(createPrivateKey(readFileSync(keyPath)));
  } catch {
    // Unreadable or unparseable: the file's own check already says so.
    return true;
  }
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return undefined;
  }
}
