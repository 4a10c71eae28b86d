import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { IssuedCouponRow } from './issued-coupon.js';

export const AuditAction = {
  Redeemed: 'REDEEMED',
  Released: 'RELEASED',
  /** A redemption refused (already redeemed, expired, another owner...): `code` says why. */
  Refused: 'REFUSED',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

/**
 * What happened to an issued coupon after issuance, in order: every redemption, release
 * and refused redemption, for support ("why was my coupon refused?") and audits. Its
 * issuance is its issued_coupons row.
 */
@Entity({ name: 'coupon_audit' })
@Index('ix_coupon_audit_coupon', ['eventId', 'serial', 'id'])
export class CouponAuditRow {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_coupon_audit' })
  id!: number;

  @Column({ name: 'event_id', type: 'bigint' })
  eventId!: number;

  @Column({ type: 'int' })
  serial!: number;

  @ManyToOne(() => IssuedCouponRow, { onDelete: 'RESTRICT', onUpdate: 'RESTRICT' })
  @JoinColumn({
    name: 'event_id',
    referencedColumnName: 'eventId',
    foreignKeyConstraintName: 'fk_coupon_audit_coupon',
  })
  @JoinColumn({
    name: 'serial',
    referencedColumnName: 'serial',
    foreignKeyConstraintName: 'fk_coupon_audit_coupon',
  })
  coupon?: IssuedCouponRow;

  @Column({ type: 'varchar', length: 16 })
  action!: AuditAction;

  @Column({ name: 'redemption_id', type: 'bigint', nullable: true })
  redemptionId!: number | null;

  @Column({ name: 'order_id', type: 'varchar', length: 128, nullable: true })
  orderId!: string | null;

  /** For REFUSED: the error code answered. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  code!: string | null;

  @Column({ type: 'varchar', length: 300, nullable: true })
  detail!: string | null;

  @Column({ type: 'datetime', precision: 3 })
  at!: Date;
}
