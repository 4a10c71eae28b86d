import { ErrorCode, RediclaimError } from '@rediclaim/core';
import type { LiveEvent } from '../config/live-event.js';
import { ClosedReason } from './views.js';

/** The refusals of a join, each a RediclaimError with a stable code and a sentence. */

export function unknownEvent(eventId: string): RediclaimError {
  return new RediclaimError(ErrorCode.UnknownEvent, `there is no event "${eventId}"`);
}

export function notOpen(event: LiveEvent): RediclaimError {
  const { opensAt, preQueueOpensAt } = event.config.schedule;
  return new RediclaimError(
    ErrorCode.EventNotOpen,
    preQueueOpensAt
      ? `event "${event.id}" takes shoppers from ${preQueueOpensAt} (opens at ${opensAt})`
      : `event "${event.id}" opens at ${opensAt}`,
    { opensAt, ...(preQueueOpensAt ? { preQueueOpensAt } : {}) },
  );
}

export function closed(event: LiveEvent, reason: string): RediclaimError {
  return new RediclaimError(
    ErrorCode.EventClosed,
    reason === ClosedReason.Deleted
      ? `event "${event.id}" was deleted`
      : `event "${event.id}" closed at ${event.config.schedule.closesAt}`,
    { reason },
  );
}

/** A join for an id the config no longer has, whose event this gate (or another) served. */
export function deletedEvent(eventId: string): RediclaimError {
  return new RediclaimError(ErrorCode.EventClosed, `event "${eventId}" was deleted`, {
    reason: ClosedReason.Deleted,
  });
}

export function soldOut(event: LiveEvent): RediclaimError {
  return new RediclaimError(
    ErrorCode.SoldOut,
    `every coupon of event "${event.id}" has been issued`,
  );
}

export function queueFull(event: LiveEvent, waiting: number): RediclaimError {
  return new RediclaimError(
    ErrorCode.QueueFull,
    `the queue of event "${event.id}" is full (${waiting} waiting); try again later`,
    { waiting },
  );
}

/** A shopper who holds every coupon they may get; `status` is what they see. */
export function alreadyIssued(
  event: LiveEvent,
  issuedCount: number | undefined,
  status: unknown,
): RediclaimError {
  const limit = event.config.coupon.perUserLimit;
  return new RediclaimError(
    ErrorCode.AlreadyIssued,
    issuedCount
      ? `you already hold ${issuedCount} coupon(s) of event "${event.id}" (at most ${limit} per shopper)`
      : `you already hold the coupons a shopper may get from event "${event.id}" (at most ${limit})`,
    { status },
  );
}
