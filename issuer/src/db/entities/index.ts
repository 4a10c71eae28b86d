import { CouponAuditRow } from './coupon-audit.js';
import { CouponEventRow } from './coupon-event.js';
import { CouponRedemptionRow } from './coupon-redemption.js';
import { EventRevisionRow } from './event-revision.js';
import { IssueDecisionRow } from './issue-decision.js';
import { IssuedCouponRow } from './issued-coupon.js';
import { OutboxEntryRow } from './outbox-entry.js';

export {
  CouponAuditRow,
  CouponEventRow,
  CouponRedemptionRow,
  EventRevisionRow,
  IssueDecisionRow,
  IssuedCouponRow,
  OutboxEntryRow,
};
export { RevisionOutcome } from './event-revision.js';
export { RedemptionState } from './coupon-redemption.js';
export { AuditAction } from './coupon-audit.js';
export { OutboxKind } from './outbox-entry.js';

export const entities = [
  CouponEventRow,
  IssuedCouponRow,
  IssueDecisionRow,
  EventRevisionRow,
  CouponRedemptionRow,
  CouponAuditRow,
  OutboxEntryRow,
];
