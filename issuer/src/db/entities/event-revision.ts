import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { IssuePolicy } from '@rediclaim/core';
import { CouponEventRow } from './coupon-event.js';

export const RevisionOutcome = { Applied: 'APPLIED', Refused: 'REFUSED' } as const;
export type RevisionOutcome = (typeof RevisionOutcome)[keyof typeof RevisionOutcome];

/**
 * The audit of an event's config: every generation the issuer met, whether it was
 * applied or refused (a stock below what was already issued), and the numbers it was
 * judged on. Written once per generation, fleet-wide.
 */
@Entity({ name: 'coupon_event_revisions' })
export class EventRevisionRow {
  @PrimaryColumn({
    name: 'event_id',
    type: 'bigint',
    primaryKeyConstraintName: 'pk_coupon_event_revisions',
  })
  eventId!: number;

  @PrimaryColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_coupon_event_revisions' })
  generation!: number;

  @ManyToOne(() => CouponEventRow, { onDelete: 'RESTRICT', onUpdate: 'RESTRICT' })
  @JoinColumn({ name: 'event_id', foreignKeyConstraintName: 'fk_coupon_event_revisions_event' })
  event?: CouponEventRow;

  @Column({ type: 'varchar', length: 16 })
  outcome!: RevisionOutcome;

  @Column({ type: 'int' })
  stock!: number;

  /** The stock in force before this generation (null when it created the event). */
  @Column({ name: 'previous_stock', type: 'int', nullable: true })
  previousStock!: number | null;

  /** Coupons already issued when the generation was judged. */
  @Column({ name: 'issued_then', type: 'int' })
  issuedThen!: number;

  @Column({ type: 'json' })
  policy!: IssuePolicy;

  @Column({ name: 'recorded_at', type: 'datetime', precision: 3 })
  recordedAt!: Date;
}
