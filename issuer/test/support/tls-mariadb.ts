import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { startPrivateStack, type PrivateStack, type StackEnv } from '@rediclaim/hack/testing';
import { sslOptions, type MysqlTls, type MysqlTlsMode } from '@rediclaim/issuer';

export type TlsFiles = NonNullable<StackEnv['mysqlTls']>;

/** A private MariaDB that talks TLS only (hack/stack RC_MYSQL_TLS=1), its files at hand. */
export async function startTlsMariadb(
  prefix: string,
  serverCert: TlsFiles['serverCert'] = 'server',
): Promise<{ stack: PrivateStack; files: TlsFiles }> {
  const stack = await startPrivateStack(prefix, ['mariadb'], {
    tls: true,
    mysqlServerCert: serverCert,
  });
  const files = stack.env.mysqlTls;
  if (!files) throw new Error(`stack ${stack.env.stack} has no mysqlTls in its env.json`);
  return { stack, files };
}

/** A client's TLS: trusting the stack's authority (or `ca`, another file) with `mode`. */
export function tlsOf(
  files: TlsFiles,
  mode: MysqlTlsMode,
  options: { ca?: string; clientCert?: boolean } = {},
): MysqlTls {
  return {
    mode,
    ca: readFileSync(options.ca ?? files.caFile),
    ...(options.clientCert
      ? { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) }
      : {}),
  };
}

/** The stack's user (it may create users and databases), over verify-identity TLS. */
export function connectAdmin(stack: PrivateStack, files: TlsFiles): Promise<mysql.Connection> {
  const { port, user, password } = stack.env.mysql;
  return mysql.createConnection({
    host: 'localhost',
    port,
    user,
    password,
    ssl: sslOptions(tlsOf(files, 'verify-identity'))!,
  });
}

/** What a failed connection attempt threw (the test fails when it connected). */
export async function refusal(attempt: () => Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await attempt();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('connected, but it should have been refused');
}
