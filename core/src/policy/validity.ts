import type { Validity } from '../couponevent/spec.js';

const HOUR = 3_600_000;

export interface ValidityWindow {
  validFrom: Date;
  validUntil: Date;
}

/**
 * When a coupon issued at `issuedAt` can be used: from the later of issuance and
 * startsAt, until the sooner of endsAt and issuance + validForHours. Undefined when
 * that window is already empty: issuing it would hand out a dead coupon.
 */
export function couponValidity(validity: Validity, issuedAt: Date): ValidityWindow | undefined {
  const from = Math.max(
    issuedAt.getTime(),
    validity.startsAt ? Date.parse(validity.startsAt) : -Infinity,
  );
  const ends = [
    validity.endsAt ? Date.parse(validity.endsAt) : Infinity,
    validity.validForHours ? issuedAt.getTime() + validity.validForHours * HOUR : Infinity,
  ];
  const until = Math.min(...ends);
  if (!Number.isFinite(until) || until <= issuedAt.getTime() || until <= from) return undefined;
  return { validFrom: new Date(from), validUntil: new Date(until) };
}

/** Whether a coupon with this window can be used at `at`. */
export function isUsableAt(window: ValidityWindow, at: Date): boolean {
  return at >= window.validFrom && at < window.validUntil;
}
