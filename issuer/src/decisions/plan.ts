import {
  IssueOutcome,
  couponCodes,
  couponValidity,
  decideIssuance,
  type Decision,
  type Discount,
  type IssueRequest,
  type IssueResult,
  type IssuedCoupon,
  type PriorDecision,
} from '@rediclaim/core';
import type { AppliedState } from './revisions.js';

/** An issued_coupons row of one of the batch's users, read inside the transaction. */
export interface StoredCoupon {
  userId: string;
  ticket: number;
  serial: number;
  code: string;
  discount: Discount;
  validFrom: Date;
  validUntil: Date;
  issuedAt: Date;
}

/** An issue_decisions row (a decision that issued nothing) of one of the batch's users. */
export interface StoredDecision {
  userId: string;
  ticket: number;
  outcome: Exclude<IssueOutcome, 'ISSUED'>;
  reason: string | null;
  decidedAt: Date;
}

export interface NewCoupon extends StoredCoupon {
  seq: number;
  requestId: string;
  generation: number;
}

export interface NewDecision extends StoredDecision {
  requestId: string;
  generation: number;
}

export interface PlanInput {
  tenant: string;
  eventId: string;
  /** The sale (CouponEvent uid), '' when the requests named none. */
  uid: string;
  /** The event after this batch's config generations were judged. */
  event: AppliedState & { codePrefix: string; codeLength: number };
  /** Generations refused for a stock below issued, with that stock. */
  refused: ReadonlyMap<number, number>;
  /** Distinct by requestId. */
  requests: readonly IssueRequest[];
  coupons: readonly StoredCoupon[];
  decisions: readonly StoredDecision[];
  now: Date;
  secret: string;
}

export interface Plan {
  /** One final result per request, by requestId. */
  results: Map<string, IssueResult>;
  /** Rows to insert, in serial order. */
  coupons: NewCoupon[];
  decisions: NewDecision[];
  /** The event's issued count after the batch. */
  issued: number;
  /** Requests answered from an earlier decision (redeliveries). */
  redelivered: number;
}

const requestKey = (userId: string, ticket: number) => `${userId}\u0000${ticket}`;

/**
 * Decides one event's batch with core's decideIssuance, from what the transaction read:
 * earlier decisions answer redeliveries, each user's coupons count against the
 * per-user limit, the rest is granted in ticket order while stock remains. Requests
 * carrying a refused generation (stock below issued) are decided on that stock, so
 * they are REJECTED with STOCK_BELOW_ISSUED (or ALREADY_ISSUED), never issued.
 * Pure: the same input gives the same rows, codes and results.
 */
export function planBatch(input: PlanInput): Plan {
  const { event, now } = input;
  const issuedByUser = new Map<string, number>();
  const storedCoupons = new Map<string, StoredCoupon>();
  for (const coupon of input.coupons) {
    issuedByUser.set(coupon.userId, (issuedByUser.get(coupon.userId) ?? 0) + 1);
    storedCoupons.set(requestKey(coupon.userId, coupon.ticket), coupon);
  }
  const storedDecisions = new Map<string, StoredDecision>();
  for (const decision of input.decisions) {
    storedDecisions.set(requestKey(decision.userId, decision.ticket), decision);
  }

  // Most batches meet no earlier decision (first deliveries): skip the lookups then.
  const priorDecisions = new Map<string, PriorDecision>();
  if (storedCoupons.size > 0 || storedDecisions.size > 0) {
    for (const request of input.requests) {
      const key = requestKey(request.userId, request.ticket);
      const coupon = storedCoupons.get(key);
      const decision = storedDecisions.get(key);
      if (coupon) {
        priorDecisions.set(request.requestId, {
          outcome: IssueOutcome.Issued,
          serial: coupon.serial,
        });
      } else if (decision) {
        priorDecisions.set(request.requestId, {
          outcome: decision.outcome,
          ...(decision.reason ? { reason: decision.reason } : {}),
        });
      }
    }
  }

  const normal =
    input.refused.size === 0
      ? input.requests
      : input.requests.filter((r) => !input.refused.has(r.policy.generation));
  const refusedRequests =
    input.refused.size === 0
      ? []
      : input.requests.filter((r) => input.refused.has(r.policy.generation));
  const windowOpen = couponValidity(event.policy.validity, now) !== undefined;

  const main = decideIssuance(
    {
      stock: event.stock,
      issued: event.issued,
      perUserLimit: event.policy.perUserLimit,
      issuedByUser,
      priorDecisions,
      windowOpen,
    },
    normal,
  );
  // Each user's coupons are numbered 1..perUserLimit; with a limit of 1 (the usual
  // case) a fresh coupon is always the user's first, and no counting is needed.
  const heldAfter = new Map(issuedByUser);
  const single = event.policy.perUserLimit === 1;
  const fresh: { decision: Decision; seq: number }[] = [];
  for (const decision of main.decisions) {
    if (!decision.fresh || decision.outcome !== IssueOutcome.Issued) continue;
    let seq = 1;
    if (!single || refusedRequests.length > 0) {
      seq = (heldAfter.get(decision.request.userId) ?? 0) + 1;
      heldAfter.set(decision.request.userId, seq);
    }
    fresh.push({ decision, seq });
  }
  const issued = event.issued + main.newlyIssued;

  const decisions = [...main.decisions];
  if (refusedRequests.length > 0) {
    // Any stock below issued makes decideIssuance refuse every fresh request.
    const refusedStock = Math.min(...input.refused.values());
    decisions.push(
      ...decideIssuance(
        {
          stock: refusedStock,
          issued,
          perUserLimit: event.policy.perUserLimit,
          issuedByUser: heldAfter,
          priorDecisions,
          windowOpen,
        },
        refusedRequests,
      ).decisions,
    );
  }

  const codes = couponCodes(
    { prefix: event.codePrefix, length: event.codeLength },
    input.secret,
    // The codes' scope is the sale: a re-created event's serials restart, its codes must not.
    input.uid
      ? `${input.tenant}/${input.eventId}/${input.uid}`
      : `${input.tenant}/${input.eventId}`,
    fresh.map((f) => f.decision.serial!),
  );
  // Everything issued in one batch shares its instants: format them once, not per coupon.
  const window = couponValidity(event.policy.validity, now);
  const nowIso = now.toISOString();
  const validFromIso = window?.validFrom.toISOString() ?? nowIso;
  const validUntilIso = window?.validUntil.toISOString() ?? nowIso;
  const issuedCoupons: IssuedCoupon[] = [];
  const coupons: NewCoupon[] = fresh.map(({ decision, seq }, i) => {
    const { request } = decision;
    const coupon: NewCoupon = {
      userId: request.userId,
      ticket: request.ticket,
      requestId: request.requestId,
      serial: decision.serial!,
      seq,
      code: codes[i]!,
      generation: event.generation,
      discount: event.policy.discount,
      validFrom: window!.validFrom,
      validUntil: window!.validUntil,
      issuedAt: now,
    };
    issuedCoupons.push({
      code: coupon.code,
      serial: coupon.serial,
      discount: coupon.discount,
      validFrom: validFromIso,
      validUntil: validUntilIso,
      issuedAt: nowIso,
    });
    return coupon;
  });

  const stock = event.stock;
  const remaining = Math.max(0, event.stock - issued);
  const results = new Map<string, IssueResult>();
  const newDecisions: NewDecision[] = [];
  let redelivered = 0;
  let nextCoupon = 0;
  for (const decision of decisions) {
    // decideIssuance hands back the very request objects it was given.
    const request = decision.request as IssueRequest;
    let coupon: IssuedCoupon | undefined;
    let decidedAt = nowIso;
    if (!decision.fresh) {
      redelivered += 1;
      const key = requestKey(request.userId, request.ticket);
      const stored = storedCoupons.get(key);
      if (stored) {
        coupon = couponOf(stored);
        decidedAt = coupon.issuedAt;
      } else {
        decidedAt = storedDecisions.get(key)?.decidedAt.toISOString() ?? nowIso;
      }
    } else if (decision.outcome === IssueOutcome.Issued) {
      // Fresh coupons were made in decision order: take the next one.
      coupon = issuedCoupons[nextCoupon++];
    } else {
      newDecisions.push({
        userId: request.userId,
        ticket: request.ticket,
        requestId: request.requestId,
        outcome: decision.outcome,
        reason: decision.reason ?? null,
        // The generation it was decided under: the event's, or the refused one it carried.
        generation: input.refused.has(request.policy.generation)
          ? request.policy.generation
          : event.generation,
        decidedAt: now,
      });
    }
    const result: IssueResult = {
      type: 'IssueResult',
      version: 1,
      requestId: request.requestId,
      tenant: input.tenant,
      eventId: input.eventId,
      userId: request.userId,
      ticket: request.ticket,
      ...(input.uid ? { uid: input.uid } : {}),
      outcome: decision.outcome,
      remaining,
      stock,
      decidedAt,
    };
    if (coupon) result.coupon = coupon;
    if (decision.reason) result.reason = decision.reason;
    results.set(request.requestId, result);
  }
  return { results, coupons, decisions: newDecisions, issued, redelivered };
}

function couponOf(stored: StoredCoupon): IssuedCoupon {
  return {
    code: stored.code,
    serial: stored.serial,
    discount: stored.discount,
    validFrom: stored.validFrom.toISOString(),
    validUntil: stored.validUntil.toISOString(),
    issuedAt: stored.issuedAt.toISOString(),
  };
}
