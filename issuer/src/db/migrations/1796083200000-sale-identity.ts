import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A sale is its CouponEvent (uid), not its name: coupon_events gains the uid, and the
 * unique key becomes (tenant, event_id, uid), so an event deleted and applied again
 * under the same id gets a row, a stock, codes and a history of its own. Rows from before
 * keep uid '' until the first request naming a uid claims them (issuer/src/db/ledger.ts).
 */
export class SaleIdentity1796083200000 implements MigrationInterface {
  name = 'SaleIdentity1796083200000';

  async up(q: QueryRunner): Promise<void> {
    const columns = (await q.query(
      `SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'coupon_events'`,
    )) as { name: string }[];
    if (!columns.some((c) => c.name === 'uid')) {
      await q.query(
        "ALTER TABLE `coupon_events` ADD `uid` varchar(64) NOT NULL DEFAULT '' AFTER `event_id`",
      );
    }
    const indexes = (await q.query(
      `SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'coupon_events'`,
    )) as { name: string }[];
    // The new key first: the table is never without one (DDL is not transactional).
    if (!indexes.some((i) => i.name === 'uq_coupon_events_sale')) {
      await q.query(
        'CREATE UNIQUE INDEX `uq_coupon_events_sale` ON `coupon_events` (`tenant`, `event_id`, `uid`)',
      );
    }
    if (indexes.some((i) => i.name === 'uq_coupon_events_tenant_event')) {
      await q.query('DROP INDEX `uq_coupon_events_tenant_event` ON `coupon_events`');
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'CREATE UNIQUE INDEX `uq_coupon_events_tenant_event` ON `coupon_events` (`tenant`, `event_id`)',
    );
    await q.query('DROP INDEX `uq_coupon_events_sale` ON `coupon_events`');
    await q.query('ALTER TABLE `coupon_events` DROP COLUMN `uid`');
  }
}
