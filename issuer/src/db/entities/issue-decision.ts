import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { IssueOutcome } from '@rediclaim/core';
import { CouponEventRow } from './coupon-event.js';

/**
 * The decisions that issued nothing (SOLD_OUT, ALREADY_ISSUED, REJECTED), one per
 * request; an ISSUED decision is its issued_coupons row. Together they are the
 * idempotency log: a request delivered again is answered from here, never decided
 * twice (a SOLD_OUT stays SOLD_OUT even after the stock is raised).
 */
@Entity({ name: 'issue_decisions' })
export class IssueDecisionRow {
  @PrimaryColumn({
    name: 'event_id',
    type: 'bigint',
    primaryKeyConstraintName: 'pk_issue_decisions',
  })
  eventId!: number;

  @PrimaryColumn({
    name: 'user_id',
    type: 'varchar',
    length: 128,
    primaryKeyConstraintName: 'pk_issue_decisions',
  })
  userId!: string;

  @PrimaryColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_issue_decisions' })
  ticket!: number;

  @ManyToOne(() => CouponEventRow, { onDelete: 'RESTRICT', onUpdate: 'RESTRICT' })
  @JoinColumn({ name: 'event_id', foreignKeyConstraintName: 'fk_issue_decisions_event' })
  event?: CouponEventRow;

  @Column({ name: 'request_id', type: 'varchar', length: 300 })
  requestId!: string;

  @Column({ type: 'varchar', length: 16 })
  outcome!: Exclude<IssueOutcome, 'ISSUED'>;

  /** Why, for REJECTED (a core RejectReason). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  reason!: string | null;

  @Column({ type: 'bigint' })
  generation!: number;

  @Column({ name: 'decided_at', type: 'datetime', precision: 3 })
  decidedAt!: Date;
}
