import { describe, expect, it } from '@jest/globals';
import mysql from 'mysql2/promise';
import { createTestDatabase, stackEnv, uniqueName } from '@rediclaim/hack/testing';
import { createDataSource, detectDialect, migrate } from '@rediclaim/issuer';

async function tablesOf(url: string): Promise<string[]> {
  const conn = await mysql.createConnection(url);
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SHOW TABLES');
    return rows.map((r) => String(Object.values(r)[0])).sort();
  } finally {
    await conn.end();
  }
}

// The migrations against the test stack's MariaDB, on databases of their own.
describe('issuer migrations (MariaDB)', () => {
  it('recognises MariaDB, so TypeORM is driven with type mariadb', async () => {
    const db = await createTestDatabase('issuer_dialect');
    try {
      expect(await detectDialect(db.url)).toBe('mariadb');
    } finally {
      await db.drop();
    }
  });

  it('creates every table on an empty database, and a second run does nothing', async () => {
    const db = await createTestDatabase('issuer_mig');
    const source = createDataSource({ url: db.url, dialect: 'mariadb' });
    await source.initialize();
    try {
      expect(await migrate(source)).toEqual([
        'CreateIssuanceTables1767225600000',
        'SaleIdentity1796083200000',
        'RedemptionsAndOutbox1798761600000',
      ]);
      expect(await migrate(source)).toEqual([]);
      expect(await tablesOf(db.url)).toEqual([
        'coupon_audit',
        'coupon_event_revisions',
        'coupon_events',
        'coupon_outbox',
        'coupon_redemptions',
        'issue_decisions',
        'issued_coupons',
        'issuer_migrations',
      ]);
      // The entities and the migration describe the same schema: nothing to synchronize.
      const pending = await source.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await source.destroy();
      await db.drop();
    }
  });

  it('runs once when replicas start together (they take turns on a named lock)', async () => {
    const db = await createTestDatabase('issuer_mig');
    const sources = [1, 2, 3].map(() => createDataSource({ url: db.url, dialect: 'mariadb' }));
    await Promise.all(sources.map((s) => s.initialize()));
    try {
      const ran = await Promise.all(sources.map((s) => migrate(s)));
      expect(ran.flat()).toEqual([
        'CreateIssuanceTables1767225600000',
        'SaleIdentity1796083200000',
        'RedemptionsAndOutbox1798761600000',
      ]);
    } finally {
      await Promise.all(sources.map((s) => s.destroy()));
      await db.drop();
    }
  });

  it('keeps user ids case-sensitive even where the database collation is not', async () => {
    const { host, port, user, password } = stackEnv().mysql;
    const name = uniqueName('issuer_ci').replace(/-/g, '_');
    const admin = await mysql.createConnection({ host, port, user, password });
    await admin.query(
      `CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`,
    );
    const url = `mysql://${user}:${password}@${host}:${port}/${name}`;
    const source = createDataSource({ url, dialect: 'mariadb' });
    await source.initialize();
    try {
      await migrate(source);
      await source.query(
        `INSERT INTO coupon_events (tenant, event_id, generation, stock, code_prefix, code_length, policy)
         VALUES ('t', 'e', 1, 5, '', 8, '{}')`,
      );
      const insert = (userId: string, serial: number) =>
        source.query(
          `INSERT INTO issued_coupons (event_id, serial, user_id, seq, ticket, request_id, code,
             generation, discount, valid_from, valid_until, issued_at)
           SELECT id, ?, ?, 1, ?, 'r', ?, 1, '{}', NOW(3), NOW(3), NOW(3) FROM coupon_events`,
          [serial, userId, serial, `C${serial}`],
        );
      await insert('Ann', 1);
      await expect(insert('ann', 2)).resolves.toBeDefined();
      await expect(insert('ann', 3)).rejects.toThrow(/Duplicate entry/);
    } finally {
      await source.destroy();
      await admin.query(`DROP DATABASE \`${name}\``);
      await admin.end();
    }
  });
});
