import type { DataSource } from 'typeorm';
import { sqlOn, type CallbackConnection, type Sql } from './connection.js';

/** Pool connections whose session already runs READ COMMITTED. */
const readCommitted = new WeakSet<object>();

/**
 * Makes the connection's session READ COMMITTED, once per connection: once a row is
 * locked, later reads see every commit before ours, and inserts take no gap locks (fewer
 * deadlocks between replicas). Resolves when the statement is queued (mysql2 sends it
 * first), with what to await before the transaction's result counts.
 */
export function useReadCommitted(connection: CallbackConnection, sql: Sql): Promise<unknown> {
  if (readCommitted.has(connection)) return Promise.resolve();
  return sql('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED').then(() =>
    readCommitted.add(connection),
  );
}

/**
 * Runs `work` on one pooled connection, in a READ COMMITTED transaction (COMMIT when it
 * returns, ROLLBACK when it throws), or with `transaction: false` as plain statements
 * for reads that need no snapshot. Every statement a round trip and a write to the
 * socket, which is most of an operation's cost here: callers keep them few.
 */
export async function inTransaction<T>(
  dataSource: DataSource,
  work: (sql: Sql) => Promise<T>,
  options: { queryTimeoutMs?: number; transaction?: boolean } = {},
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  const connection = (await runner.connect()) as CallbackConnection;
  const sql = sqlOn(connection, options.queryTimeoutMs);
  const transaction = options.transaction ?? true;
  let began = false;
  try {
    // Queued ahead of the work's first statement: no round trip of their own to wait for.
    const setup = [useReadCommitted(connection, sql)];
    if (transaction) {
      setup.push(sql('START TRANSACTION'));
      began = true;
    }
    const settled = Promise.all(setup);
    settled.catch(() => undefined); // awaited below; a failure is reported once
    const result = await work(sql);
    await settled;
    if (transaction) {
      await sql('COMMIT');
      began = false;
    }
    return result;
  } catch (error) {
    if (began) await sql('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await runner.release().catch(() => undefined);
  }
}
