import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { IssuerSettings } from '../settings.js';
import { createDataSource, detectDialect, type Dialect } from './data-source.js';
import { migrate } from './migrate.js';
import type { PrimaryFinder } from './primary-finder.js';
import type { MysqlTls } from './tls.js';
import { mysqlTlsOf } from './tls-settings.js';

/**
 * The issuer's pool, after the schema is migrated when MIGRATE_ON_START says so. Every
 * connection on the way (dialect, migrations, pool) has the same TLS, and with
 * MYSQL_HOSTS goes to the primary `primary` finds (first found here: none is an error,
 * retried by the caller).
 */
export async function openDatabase(
  s: IssuerSettings,
  logger: Logger,
  tls: MysqlTls = mysqlTlsOf(s),
  primary?: PrimaryFinder,
): Promise<DataSource> {
  await primary?.find();
  const stream = primary ? { stream: primary.stream } : {};
  const dialect: Dialect =
    s.MYSQL_DIALECT === 'auto'
      ? await detectDialect(s.MYSQL_URL, { tls, ...stream })
      : s.MYSQL_DIALECT;
  if (s.MIGRATE_ON_START) {
    // Migrations get a connection without the statement timeout: DDL on a big table may take long.
    const migrator = createDataSource({ url: s.MYSQL_URL, dialect, poolSize: 2, tls, ...stream });
    await migrator.initialize();
    try {
      const ran = await migrate(migrator);
      logger.info({ dialect, ran }, ran.length ? 'migrations applied' : 'schema up to date');
    } finally {
      await migrator.destroy();
    }
  }
  const dataSource = createDataSource({
    url: s.MYSQL_URL,
    dialect,
    poolSize: s.MYSQL_POOL_SIZE,
    queryTimeoutMs: s.MYSQL_QUERY_TIMEOUT_MS,
    tls,
    ...stream,
  });
  await dataSource.initialize();
  return dataSource;
}
