import { z } from 'zod';

/**
 * A shopper's id as the gate receives it (query, JWT subject or trusted header).
 * No "/" (it separates the parts of request ids and message keys) and no spaces.
 */
export const userIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._@:+=-]+$/, 'may contain only letters, digits and . _ @ : + = -');

/** A queue ticket: the order of arrival, fair and unique within an event. */
export const ticketSchema = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Identifies one admission of one shopper: the same admission sent twice is the same request. */
export function requestIdOf(
  tenant: string,
  eventId: string,
  userId: string,
  ticket: number,
): string {
  return `${tenant}/${eventId}/${userId}/${ticket}`;
}

/**
 * Kafka message key: all messages of one shopper in one event land in one partition
 * (ordered), while an event's crowd spreads over every partition and issuer replica.
 */
export function messageKeyOf(tenant: string, eventId: string, userId: string): string {
  return `${tenant}/${eventId}/${userId}`;
}
