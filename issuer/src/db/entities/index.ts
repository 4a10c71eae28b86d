import { CouponEventRow } from './coupon-event.js';
import { EventRevisionRow } from './event-revision.js';
import { IssueDecisionRow } from './issue-decision.js';
import { IssuedCouponRow } from './issued-coupon.js';

export { CouponEventRow, EventRevisionRow, IssueDecisionRow, IssuedCouponRow };
export { RevisionOutcome } from './event-revision.js';

export const entities = [CouponEventRow, IssuedCouponRow, IssueDecisionRow, EventRevisionRow];
