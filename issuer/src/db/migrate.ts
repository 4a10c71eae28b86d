import type { DataSource } from 'typeorm';

/** A server-wide named lock: replicas starting together run the migrations one at a time. */
const LOCK_NAME = 'rediclaim_issuer_migrations';

/**
 * Runs the pending migrations, holding a MySQL named lock (GET_LOCK) on a connection of
 * its own so that only one replica migrates at a time; the others wait, then find
 * nothing to do. Returns the names of the migrations this call ran.
 */
export async function migrate(dataSource: DataSource, lockTimeoutSeconds = 120): Promise<string[]> {
  // Named locks are server-wide; the database in the name keeps databases apart.
  const name = `${LOCK_NAME}_${dataSource.driver.database ?? ''}`.slice(0, 64);
  const lock = dataSource.createQueryRunner();
  try {
    const rows = (await lock.query('SELECT GET_LOCK(?, ?) AS got', [name, lockTimeoutSeconds])) as {
      got: number | null;
    }[];
    if (Number(rows[0]?.got) !== 1) {
      throw new Error(
        `another replica held the migration lock for more than ${lockTimeoutSeconds}s`,
      );
    }
    try {
      const ran = await dataSource.runMigrations({ transaction: 'each' });
      return ran.map((m) => m.name);
    } finally {
      await lock.query('SELECT RELEASE_LOCK(?)', [name]).catch(() => undefined);
    }
  } finally {
    await lock.release();
  }
}
