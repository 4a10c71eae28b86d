import { IssueOutcome, RejectReason } from '../messages/outcome.js';

/** One admitted request, as far as the decision is concerned. */
export interface PendingRequest {
  requestId: string;
  userId: string;
  ticket: number;
}

/** A decision made earlier for a request (it is being delivered again). */
export interface PriorDecision {
  outcome: IssueOutcome;
  serial?: number;
  reason?: string;
}

/** What the source of truth says about one event, read inside the deciding transaction. */
export interface IssuanceLedger {
  stock: number;
  issued: number;
  perUserLimit: number;
  /** Coupons each user in the batch already holds from this event. */
  issuedByUser: ReadonlyMap<string, number>;
  /** Requests of the batch that were decided before. */
  priorDecisions: ReadonlyMap<string, PriorDecision>;
  /** False when the coupons' validity window has ended: nothing more may be issued. */
  windowOpen: boolean;
}

export interface Decision extends PriorDecision {
  request: PendingRequest;
  /** False when the decision was made before (redelivery, or a duplicate in the batch). */
  fresh: boolean;
}

export interface BatchDecision {
  /** One per request, in ticket order. */
  decisions: Decision[];
  /** Coupons issued by this batch. */
  newlyIssued: number;
  /** Stock left after this batch. */
  remaining: number;
}

/**
 * Decides a batch of requests for one event, the way the issuer's transaction applies
 * it: requests decided before keep their decision (redelivery is harmless); users at
 * their limit get ALREADY_ISSUED; the rest are granted in ticket order while stock
 * remains, each with the next serial; then SOLD_OUT. Never more than stock, never more
 * than perUserLimit per user, one decision per request.
 */
// Built field by field: object spread was ~5% of the issuer's CPU on Node 20.
function decisionOf(d: PriorDecision, request: PendingRequest, fresh: boolean): Decision {
  return { outcome: d.outcome, serial: d.serial, reason: d.reason, request, fresh };
}

export function decideIssuance(
  ledger: IssuanceLedger,
  requests: readonly PendingRequest[],
): BatchDecision {
  const ordered = [...requests].sort((a, b) => a.ticket - b.ticket);
  const byUser = new Map(ledger.issuedByUser);
  const decided = new Map<string, PriorDecision>();
  let issued = ledger.issued;
  const decisions: Decision[] = [];

  for (const request of ordered) {
    const prior = decided.get(request.requestId) ?? ledger.priorDecisions.get(request.requestId);
    if (prior) {
      decisions.push(decisionOf(prior, request, false));
      continue;
    }
    let decision: PriorDecision;
    const held = byUser.get(request.userId) ?? 0;
    if (held >= ledger.perUserLimit) {
      decision = { outcome: IssueOutcome.AlreadyIssued };
    } else if (ledger.stock < ledger.issued) {
      decision = { outcome: IssueOutcome.Rejected, reason: RejectReason.StockBelowIssued };
    } else if (issued >= ledger.stock) {
      decision = { outcome: IssueOutcome.SoldOut };
    } else if (!ledger.windowOpen) {
      decision = { outcome: IssueOutcome.Rejected, reason: RejectReason.CouponWindowEnded };
    } else {
      issued += 1;
      byUser.set(request.userId, held + 1);
      decision = { outcome: IssueOutcome.Issued, serial: issued };
    }
    decided.set(request.requestId, decision);
    decisions.push(decisionOf(decision, request, true));
  }
  return {
    decisions,
    newlyIssued: issued - ledger.issued,
    remaining: Math.max(0, ledger.stock - issued),
  };
}
