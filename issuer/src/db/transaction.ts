import type { DataSource } from 'typeorm';
import { sqlOn, type CallbackConnection, type Sql } from './connection.js';

/**
 * Runs `work` in one READ COMMITTED transaction on a pooled connection: COMMIT when it
 * returns, ROLLBACK when it throws. READ COMMITTED for the same reason as the deciding
 * transaction: once a row is locked, later reads see every commit before ours.
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  work: (sql: Sql) => Promise<T>,
  options: { queryTimeoutMs?: number } = {},
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  const connection = (await runner.connect()) as CallbackConnection;
  const sql = sqlOn(connection, options.queryTimeoutMs);
  let began = false;
  try {
    await sql('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
    await sql('START TRANSACTION');
    began = true;
    const result = await work(sql);
    await sql('COMMIT');
    began = false;
    return result;
  } catch (error) {
    if (began) await sql('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await runner.release().catch(() => undefined);
  }
}
