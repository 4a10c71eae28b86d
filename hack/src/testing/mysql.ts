import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { stackEnv, type StackEnv } from './env.js';
import { uniqueName } from './names.js';

export interface TestDatabase {
  name: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** mysql://user:password@host:port/name */
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on the test stack's MariaDB (or another stack's), for one suite. */
export async function createTestDatabase(
  prefix = 'rc',
  env: StackEnv = stackEnv(),
): Promise<TestDatabase> {
  const { port, user, password } = env.mysql;
  // A TLS-only stack (env.mysqlTls) is reached verified, by a name its certificate holds.
  const host = env.mysqlTls ? 'localhost' : env.mysql.host;
  const ssl = env.mysqlTls
    ? { ca: readFileSync(env.mysqlTls.caFile), rejectUnauthorized: true, verifyIdentity: true }
    : undefined;
  const connect = () =>
    mysql.createConnection({ host, port, user, password, ...(ssl ? { ssl } : {}) });
  const name = uniqueName(prefix).replace(/-/g, '_');
  const admin = await connect();
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.end();
  }
  return {
    name,
    host,
    port,
    user,
    password,
    url: `mysql://${user}:${password}@${host}:${port}/${name}`,
    async drop() {
      const conn = await connect();
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await conn.end();
      }
    },
  };
}
