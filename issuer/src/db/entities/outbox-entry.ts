import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const OutboxKind = {
  /** A range of serials of one sale issued by one transaction (the events are built from their rows). */
  CouponsIssued: 'CouponsIssued',
  /** One domain event, whole, in `payload`. */
  Event: 'Event',
  /**
   * A row the relay could not read (a bug or a hand edit): set aside with published_at,
   * never purged, so it neither blocks the relay nor vanishes; re-queue it by hand.
   */
  Invalid: 'Invalid',
} as const;
export type OutboxKind = (typeof OutboxKind)[keyof typeof OutboxKind];

/**
 * The transactional outbox: written in the transaction that makes the change, read and
 * published by the relay (issuer/src/outbox/relay.ts) in `id` order, then marked
 * published and purged after the retention. A deciding transaction writes one row
 * naming the serials it issued, not one event per coupon: its coupon rows never change
 * afterwards, so the relay builds the same CouponIssued events from them later, and the
 * locked section pays one small insert per batch.
 */
@Entity({ name: 'coupon_outbox' })
@Index('ix_coupon_outbox_unpublished', ['publishedAt', 'id'])
export class OutboxEntryRow {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'pk_coupon_outbox' })
  id!: number;

  @Column({ type: 'varchar', length: 32 })
  kind!: OutboxKind;

  @Column({ type: 'json' })
  payload!: unknown;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'published_at', type: 'datetime', precision: 3, nullable: true })
  publishedAt!: Date | null;
}
