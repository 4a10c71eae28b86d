import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { IssuerSettings } from '../settings.js';
import { createDataSource, detectDialect, type Dialect } from './data-source.js';
import { migrate } from './migrate.js';

/** The issuer's pool, after the schema is migrated when MIGRATE_ON_START says so. */
export async function openDatabase(s: IssuerSettings, logger: Logger): Promise<DataSource> {
  const dialect: Dialect =
    s.MYSQL_DIALECT === 'auto' ? await detectDialect(s.MYSQL_URL) : s.MYSQL_DIALECT;
  if (s.MIGRATE_ON_START) {
    // Migrations get a connection without the statement timeout: DDL on a big table may take long.
    const migrator = createDataSource({ url: s.MYSQL_URL, dialect, poolSize: 2 });
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
  });
  await dataSource.initialize();
  return dataSource;
}
