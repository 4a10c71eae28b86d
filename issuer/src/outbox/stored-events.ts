import {
  check,
  couponLifecycleEventSchema,
  describeProblems,
  type CouponLifecycleEvent,
} from '@rediclaim/core';

/**
 * The event of one `Event` outbox row (a redemption, a release): the stored event with
 * its row's id as its `sequence`, checked against core's schema as every consumer will
 * read it. The transaction that wrote it built it from typed values, so a failure here
 * is a bug (or a row written by hand, or by a newer build during an upgrade): the relay
 * says so and skips the row rather than publishing what consumers could not read.
 */
export function storedEventOf(
  sequence: number,
  payload: unknown,
): { event: CouponLifecycleEvent } | { invalid: string } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { invalid: 'its payload is not a JSON object' };
  }
  const checked = check(couponLifecycleEventSchema, { ...payload, sequence });
  return checked.ok
    ? { event: checked.value }
    : { invalid: `its event is invalid: ${describeProblems(checked.problems)}` };
}
