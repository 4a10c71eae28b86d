import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@rediclaim/hack/testing';
import { createDataSource, migrate } from '@rediclaim/issuer';

/** A fresh database with the issuer's schema, and `n` connection pools to it (replicas). */
export async function migratedDatabase(
  n = 1,
  prefix = 'issuer',
): Promise<{ db: TestDatabase; sources: DataSource[]; close(): Promise<void> }> {
  const db = await createTestDatabase(prefix);
  const sources = Array.from({ length: n }, () =>
    createDataSource({ url: db.url, dialect: 'mariadb', poolSize: 4 }),
  );
  await Promise.all(sources.map((s) => s.initialize()));
  await migrate(sources[0]!);
  return {
    db,
    sources,
    async close() {
      await Promise.all(sources.map((s) => s.destroy()));
      await db.drop();
    },
  };
}
