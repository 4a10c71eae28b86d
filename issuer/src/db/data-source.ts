import 'reflect-metadata';
import { format } from 'mysql2';
import mysql from 'mysql2/promise';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { entities } from './entities/index.js';
import { migrations } from './migrations/index.js';
import type { StreamFactory } from './primary-finder.js';
import { sslOptions, type MysqlTls } from './tls.js';

export type Dialect = 'mysql' | 'mariadb';

export interface DatabaseOptions {
  /** mysql://user:password@host:port/database (or mariadb://...) */
  url: string;
  dialect: Dialect;
  poolSize?: number;
  /** Any statement running longer fails (and its connection is dropped): no batch hangs forever. */
  queryTimeoutMs?: number;
  /** Unset or mode disabled: plaintext. */
  tls?: MysqlTls;
  /** Where each connection goes (MYSQL_HOSTS: the primary); unset: the URL's server. */
  stream?: StreamFactory;
}

export interface ConnectionParts {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function connectionPartsOf(url: string): ConnectionParts {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new Error('MYSQL_URL must name a database (mysql://user:pass@host:port/db)');
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database,
  };
}

/**
 * Which server MYSQL_URL points at. TypeORM must be told: with type 'mysql' against
 * MariaDB its schema builder keeps seeing pending changes (notes/real-infra.md).
 */
export async function detectDialect(
  url: string,
  options: { tls?: MysqlTls; timeoutMs?: number; stream?: StreamFactory } = {},
): Promise<Dialect> {
  const ssl = sslOptions(options.tls);
  const conn = await mysql.createConnection({
    ...connectionPartsOf(url),
    connectTimeout: options.timeoutMs ?? 10_000,
    ...(ssl ? { ssl } : {}),
    ...(options.stream ? { stream: options.stream } : {}),
  });
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS version');
    return String(rows[0]?.version ?? '').includes('MariaDB') ? 'mariadb' : 'mysql';
  } finally {
    await conn.end();
  }
}

/**
 * mysql2 formats every statement, scanning it for placeholders even when there are no
 * values: for the issuer's multi-row inserts (built with escaped values, hundreds of
 * kilobytes each) that scan costs more than building them. Statements without values
 * go out as they are; the rest are formatted exactly as mysql2 would.
 */
function queryFormat(
  this: { config: { stringifyObjects?: boolean } },
  sql: string,
  values: unknown,
  timezone?: string,
): string {
  if (values === undefined || values === null || (Array.isArray(values) && values.length === 0)) {
    return sql;
  }
  return format(
    sql,
    values as Parameters<typeof format>[1],
    this.config.stringifyObjects,
    timezone as never,
  );
}

/** TypeORM over mysql2, with every entity and migration; never synchronize outside tests. */
export function dataSourceOptions(options: DatabaseOptions): DataSourceOptions {
  const parts = connectionPartsOf(options.url);
  const ssl = sslOptions(options.tls);
  return {
    type: options.dialect,
    host: parts.host,
    port: parts.port,
    username: parts.user,
    password: parts.password,
    database: parts.database,
    charset: 'utf8mb4_bin',
    // Instants are stored and read as UTC, whatever the server's or the pod's zone.
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: false,
    poolSize: options.poolSize ?? 8,
    ...(ssl ? { ssl } : {}),
    ...(options.queryTimeoutMs
      ? { maxQueryExecutionTime: options.queryTimeoutMs, enableQueryTimeout: true }
      : {}),
    extra: { queryFormat, ...(options.stream ? { stream: options.stream } : {}) },
    entities,
    migrations,
    migrationsTableName: 'issuer_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
  } as DataSourceOptions;
}

export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource(dataSourceOptions(options));
}
