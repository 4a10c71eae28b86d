import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { Discount } from '@rediclaim/core';
import { CouponEventRow } from './coupon-event.js';

/**
 * One issued coupon, and the record of the ISSUED decision for its request. The unique
 * keys are the last guard of the invariants: one serial and one code per event, one
 * coupon per (user, sequence) so nobody passes the per-user limit. The (event, user,
 * seq) key also serves the transaction's lookup of a batch's users. No unique key per
 * request: each costs ~25% of insert throughput, and the decision log already makes a
 * request decided once (a second ISSUED for it would still stay within the limit).
 */
@Entity({ name: 'issued_coupons' })
@Index('uq_issued_coupons_user_seq', ['eventId', 'userId', 'seq'], { unique: true })
@Index('uq_issued_coupons_code', ['eventId', 'code'], { unique: true })
export class IssuedCouponRow {
  @PrimaryColumn({
    name: 'event_id',
    type: 'bigint',
    primaryKeyConstraintName: 'pk_issued_coupons',
  })
  eventId!: number;

  /** 1-based position in the event's issuance order; the code is derived from it. */
  @PrimaryColumn({ type: 'int', primaryKeyConstraintName: 'pk_issued_coupons' })
  serial!: number;

  @ManyToOne(() => CouponEventRow, { onDelete: 'RESTRICT', onUpdate: 'RESTRICT' })
  @JoinColumn({ name: 'event_id', foreignKeyConstraintName: 'fk_issued_coupons_event' })
  event?: CouponEventRow;

  @Column({ name: 'user_id', type: 'varchar', length: 128 })
  userId!: string;

  /** This user's n-th coupon of the event, 1..perUserLimit. */
  @Column({ type: 'int' })
  seq!: number;

  @Column({ type: 'bigint' })
  ticket!: number;

  @Column({ name: 'request_id', type: 'varchar', length: 300 })
  requestId!: string;

  @Column({ type: 'varchar', length: 32 })
  code!: string;

  /** The config generation the coupon was issued under. */
  @Column({ type: 'bigint' })
  generation!: number;

  @Column({ type: 'json' })
  discount!: Discount;

  @Column({ name: 'valid_from', type: 'datetime', precision: 3 })
  validFrom!: Date;

  @Column({ name: 'valid_until', type: 'datetime', precision: 3 })
  validUntil!: Date;

  @Column({ name: 'issued_at', type: 'datetime', precision: 3 })
  issuedAt!: Date;
}
