/**
 * Runs SQL on one pooled mysql2 connection. Statements are queued on the connection in
 * call order and mysql2 sends each as soon as the previous one has answered, so a
 * transaction can issue several at once (pipelined) without waiting for this process's
 * event loop in between: while the event row is locked, every round trip through a
 * busy event loop is time the whole event waits.
 */
export type Sql = <T = unknown>(sql: string, values?: readonly unknown[]) => Promise<T>;

/** The callback API of a mysql2 (pool) connection, as TypeORM's query runner holds it. */
export interface CallbackConnection {
  query(
    options: { sql: string; values?: readonly unknown[]; timeout?: number },
    callback: (error: Error | null, result: unknown) => void,
  ): unknown;
}

export function sqlOn(connection: CallbackConnection, timeoutMs?: number): Sql {
  return <T>(sql: string, values?: readonly unknown[]) =>
    new Promise<T>((resolve, reject) => {
      connection.query(
        {
          sql,
          ...(values && values.length > 0 ? { values } : {}),
          ...(timeoutMs ? { timeout: timeoutMs } : {}),
        },
        (error, result) => (error ? reject(error) : resolve(result as T)),
      );
    });
}
