import mysql from 'mysql2/promise';
import type { Endpoint } from './mysql-hosts.js';
import { sslOptions, type MysqlTls } from './tls.js';

export interface ProbeOptions {
  user: string;
  password: string;
  tls?: MysqlTls;
  /** For the connection and the query each: a server that hangs is no primary. */
  timeoutMs: number;
}

/**
 * Whether the server takes writes from this user: `@@global.read_only` off. A
 * connection of its own (not the pool's, which goes to the primary already chosen),
 * with the pool's TLS and credentials, so a server the pool could not use is no
 * candidate. Throws the driver's error when the server cannot tell.
 */
export async function takesWrites(endpoint: Endpoint, options: ProbeOptions): Promise<boolean> {
  const ssl = sslOptions(options.tls);
  const conn = await mysql.createConnection({
    host: endpoint.host,
    port: endpoint.port,
    user: options.user,
    password: options.password,
    connectTimeout: options.timeoutMs,
    ...(ssl ? { ssl } : {}),
  });
  // An error after the answer (the server going away meanwhile) must not end the process.
  conn.on('error', () => undefined);
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>({
      sql: 'SELECT @@global.read_only AS readOnly',
      timeout: options.timeoutMs,
    });
    return Number(rows[0]?.readOnly) === 0;
  } finally {
    await close(conn, options.timeoutMs);
  }
}

/** Says goodbye (no "aborted connection" in the server's log), or drops it after `ms`. */
async function close(conn: mysql.Connection, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  const ended = await Promise.race([
    conn.end().then(
      () => true,
      () => false,
    ),
    late,
  ]);
  clearTimeout(timer);
  if (!ended) conn.destroy();
}
