import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { IssuePolicy } from '@rediclaim/core';

/**
 * One sale of a coupon event, as the issuer has applied its config: the row every deciding
 * transaction locks (SELECT ... FOR UPDATE), so replicas deciding the same event take
 * turns. `issued` counts the rows of issued_coupons; `stock - issued` is what remains.
 */
@Entity({ name: 'coupon_events' })
@Index('uq_coupon_events_sale', ['tenant', 'eventId', 'uid'], { unique: true })
export class CouponEventRow {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_coupon_events' })
  id!: number;

  @Column({ type: 'varchar', length: 63 })
  tenant!: string;

  @Column({ name: 'event_id', type: 'varchar', length: 63 })
  eventId!: string;

  /**
   * The CouponEvent's uid: the sale. One deleted and applied again under the same id is
   * another row. '' for rows from before the uid was known (claimed by the first request
   * that names one).
   */
  @Column({ type: 'varchar', length: 64, default: '' })
  uid!: string;

  /** The config generation whose policy is applied (the CouponEvent's metadata.generation). */
  @Column({ type: 'bigint' })
  generation!: number;

  @Column({ type: 'int' })
  stock!: number;

  @Column({ type: 'int', default: 0 })
  issued!: number;

  /** Fixed when the event is first seen: codes of one format never collide (core couponCodes). */
  @Column({ name: 'code_prefix', type: 'varchar', length: 12 })
  codePrefix!: string;

  @Column({ name: 'code_length', type: 'int' })
  codeLength!: number;

  /** The applied policy snapshot (stock, perUserLimit, validity, discount, code, generation). */
  @Column({ type: 'json' })
  policy!: IssuePolicy;

  @CreateDateColumn({
    name: 'created_at',
    type: 'datetime',
    precision: 3,
    default: () => 'CURRENT_TIMESTAMP(3)',
  })
  createdAt!: Date;

  @UpdateDateColumn({
    name: 'updated_at',
    type: 'datetime',
    precision: 3,
    default: () => 'CURRENT_TIMESTAMP(3)',
    onUpdate: 'CURRENT_TIMESTAMP(3)',
  })
  updatedAt!: Date;
}
