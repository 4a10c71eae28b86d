import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { IssuedCouponRow } from './issued-coupon.js';

export const RedemptionState = { Redeemed: 'REDEEMED', Released: 'RELEASED' } as const;
export type RedemptionState = (typeof RedemptionState)[keyof typeof RedemptionState];

/**
 * One redemption of an issued coupon by a shop's order. A coupon has at most one
 * REDEEMED row at a time (the redeeming transaction locks the coupon's row first); a
 * RELEASED one gave the coupon back and stays as history. The idempotency key is the
 * shop's, unique per tenant: the same key again is answered from this row, and
 * `request_hash` tells a retry from a different request reusing the key.
 */
@Entity({ name: 'coupon_redemptions' })
@Index('uq_coupon_redemptions_idempotency', ['tenant', 'idempotencyKey'], { unique: true })
@Index('ix_coupon_redemptions_coupon', ['eventId', 'serial'])
export class CouponRedemptionRow {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_coupon_redemptions' })
  id!: number;

  @Column({ type: 'varchar', length: 63 })
  tenant!: string;

  @Column({ name: 'event_id', type: 'bigint' })
  eventId!: number;

  @Column({ type: 'int' })
  serial!: number;

  @ManyToOne(() => IssuedCouponRow, { onDelete: 'RESTRICT', onUpdate: 'RESTRICT' })
  @JoinColumn({
    name: 'event_id',
    referencedColumnName: 'eventId',
    foreignKeyConstraintName: 'fk_coupon_redemptions_coupon',
  })
  @JoinColumn({
    name: 'serial',
    referencedColumnName: 'serial',
    foreignKeyConstraintName: 'fk_coupon_redemptions_coupon',
  })
  coupon?: IssuedCouponRow;

  @Column({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  @Column({ name: 'order_id', type: 'varchar', length: 128 })
  orderId!: string;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 255 })
  idempotencyKey!: string;

  /** SHA-256 of the request's canonical form (code, user, order, amount, currency). */
  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  @Column({ name: 'order_amount', type: 'bigint' })
  orderAmount!: number;

  @Column({ name: 'discount_amount', type: 'bigint' })
  discountAmount!: number;

  @Column({ type: 'char', length: 3, nullable: true })
  currency!: string | null;

  @Column({ type: 'varchar', length: 16 })
  state!: RedemptionState;

  @Column({ name: 'redeemed_at', type: 'datetime', precision: 3 })
  redeemedAt!: Date;

  @Column({ name: 'released_at', type: 'datetime', precision: 3, nullable: true })
  releasedAt!: Date | null;

  @Column({ name: 'release_reason', type: 'varchar', length: 200, nullable: true })
  releaseReason!: string | null;
}
