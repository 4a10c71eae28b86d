import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The issuer's tables, as the entities describe them (a test checks that TypeORM sees
 * no difference). Plain SQL that MySQL 8 and MariaDB 10.4+ both accept. Each table
 * names utf8mb4_bin itself: user ids compare byte for byte ("Ann" is not "ann"),
 * whatever the database's default collation. IF NOT EXISTS lets a migration that
 * died half-way (DDL is not transactional in MySQL) simply run again.
 */
export class CreateIssuanceTables1767225600000 implements MigrationInterface {
  name = 'CreateIssuanceTables1767225600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS \`coupon_events\` (
      \`id\` bigint NOT NULL AUTO_INCREMENT,
      \`tenant\` varchar(63) NOT NULL,
      \`event_id\` varchar(63) NOT NULL,
      \`generation\` bigint NOT NULL,
      \`stock\` int NOT NULL,
      \`issued\` int NOT NULL DEFAULT '0',
      \`code_prefix\` varchar(12) NOT NULL,
      \`code_length\` int NOT NULL,
      \`policy\` json NOT NULL,
      \`created_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      \`updated_at\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
      UNIQUE INDEX \`uq_coupon_events_tenant_event\` (\`tenant\`, \`event_id\`),
      PRIMARY KEY (\`id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);

    await q.query(`CREATE TABLE IF NOT EXISTS \`issued_coupons\` (
      \`event_id\` bigint NOT NULL,
      \`serial\` int NOT NULL,
      \`user_id\` varchar(128) NOT NULL,
      \`seq\` int NOT NULL,
      \`ticket\` bigint NOT NULL,
      \`request_id\` varchar(300) NOT NULL,
      \`code\` varchar(32) NOT NULL,
      \`generation\` bigint NOT NULL,
      \`discount\` json NOT NULL,
      \`valid_from\` datetime(3) NOT NULL,
      \`valid_until\` datetime(3) NOT NULL,
      \`issued_at\` datetime(3) NOT NULL,
      UNIQUE INDEX \`uq_issued_coupons_code\` (\`event_id\`, \`code\`),
      UNIQUE INDEX \`uq_issued_coupons_user_seq\` (\`event_id\`, \`user_id\`, \`seq\`),
      PRIMARY KEY (\`event_id\`, \`serial\`),
      CONSTRAINT \`fk_issued_coupons_event\` FOREIGN KEY (\`event_id\`)
        REFERENCES \`coupon_events\` (\`id\`) ON DELETE RESTRICT ON UPDATE RESTRICT
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);

    await q.query(`CREATE TABLE IF NOT EXISTS \`issue_decisions\` (
      \`event_id\` bigint NOT NULL,
      \`user_id\` varchar(128) NOT NULL,
      \`ticket\` bigint NOT NULL,
      \`request_id\` varchar(300) NOT NULL,
      \`outcome\` varchar(16) NOT NULL,
      \`reason\` varchar(64) NULL,
      \`generation\` bigint NOT NULL,
      \`decided_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`event_id\`, \`user_id\`, \`ticket\`),
      CONSTRAINT \`fk_issue_decisions_event\` FOREIGN KEY (\`event_id\`)
        REFERENCES \`coupon_events\` (\`id\`) ON DELETE RESTRICT ON UPDATE RESTRICT
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);

    await q.query(`CREATE TABLE IF NOT EXISTS \`coupon_event_revisions\` (
      \`event_id\` bigint NOT NULL,
      \`generation\` bigint NOT NULL,
      \`outcome\` varchar(16) NOT NULL,
      \`stock\` int NOT NULL,
      \`previous_stock\` int NULL,
      \`issued_then\` int NOT NULL,
      \`policy\` json NOT NULL,
      \`recorded_at\` datetime(3) NOT NULL,
      PRIMARY KEY (\`event_id\`, \`generation\`),
      CONSTRAINT \`fk_coupon_event_revisions_event\` FOREIGN KEY (\`event_id\`)
        REFERENCES \`coupon_events\` (\`id\`) ON DELETE RESTRICT ON UPDATE RESTRICT
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS `coupon_event_revisions`');
    await q.query('DROP TABLE IF EXISTS `issue_decisions`');
    await q.query('DROP TABLE IF EXISTS `issued_coupons`');
    await q.query('DROP TABLE IF EXISTS `coupon_events`');
  }
}
