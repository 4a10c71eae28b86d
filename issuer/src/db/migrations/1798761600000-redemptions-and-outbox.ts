import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * After issuance: redemptions of issued coupons with their audit log, and the
 * transactional outbox the domain events are published from (issuer/src/outbox). New
 * tables only, so issuance never waits for this migration; IF NOT EXISTS lets one that
 * died half-way run again.
 */
export class RedemptionsAndOutbox1798761600000 implements MigrationInterface {
  name = 'RedemptionsAndOutbox1798761600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS \`coupon_redemptions\` (
      \`id\` bigint NOT NULL AUTO_INCREMENT,
      \`tenant\` varchar(63) NOT NULL,
      \`event_id\` bigint NOT NULL,
      \`serial\` int NOT NULL,
      \`user_id\` varchar(128) NOT NULL,
      \`order_id\` varchar(128) NOT NULL,
      \`idempotency_key\` varchar(255) NOT NULL,
      \`request_hash\` char(64) NOT NULL,
      \`order_amount\` bigint NOT NULL,
      \`discount_amount\` bigint NOT NULL,
      \`currency\` char(3) NULL,
      \`state\` varchar(16) NOT NULL,
      \`redeemed_at\` datetime(3) NOT NULL,
      \`released_at\` datetime(3) NULL,
      \`release_reason\` varchar(200) NULL,
      UNIQUE INDEX \`uq_coupon_redemptions_idempotency\` (\`tenant\`, \`idempotency_key\`),
      INDEX \`ix_coupon_redemptions_coupon\` (\`event_id\`, \`serial\`),
      PRIMARY KEY (\`id\`),
      CONSTRAINT \`fk_coupon_redemptions_coupon\` FOREIGN KEY (\`event_id\`, \`serial\`)
        REFERENCES \`issued_coupons\` (\`event_id\`, \`serial\`) ON DELETE RESTRICT ON UPDATE RESTRICT
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);

    await q.query(`CREATE TABLE IF NOT EXISTS \`coupon_audit\` (
      \`id\` bigint NOT NULL AUTO_INCREMENT,
      \`event_id\` bigint NOT NULL,
      \`serial\` int NOT NULL,
      \`action\` varchar(16) NOT NULL,
      \`redemption_id\` bigint NULL,
      \`order_id\` varchar(128) NULL,
      \`code\` varchar(64) NULL,
      \`detail\` varchar(300) NULL,
      \`at\` datetime(3) NOT NULL,
      INDEX \`ix_coupon_audit_coupon\` (\`event_id\`, \`serial\`, \`id\`),
      PRIMARY KEY (\`id\`),
      CONSTRAINT \`fk_coupon_audit_coupon\` FOREIGN KEY (\`event_id\`, \`serial\`)
        REFERENCES \`issued_coupons\` (\`event_id\`, \`serial\`) ON DELETE RESTRICT ON UPDATE RESTRICT
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);

    await q.query(`CREATE TABLE IF NOT EXISTS \`coupon_outbox\` (
      \`id\` bigint NOT NULL AUTO_INCREMENT,
      \`kind\` varchar(32) NOT NULL,
      \`payload\` json NOT NULL,
      \`created_at\` datetime(3) NOT NULL,
      \`published_at\` datetime(3) NULL,
      INDEX \`ix_coupon_outbox_unpublished\` (\`published_at\`, \`id\`),
      PRIMARY KEY (\`id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS `coupon_outbox`');
    await q.query('DROP TABLE IF EXISTS `coupon_audit`');
    await q.query('DROP TABLE IF EXISTS `coupon_redemptions`');
  }
}
