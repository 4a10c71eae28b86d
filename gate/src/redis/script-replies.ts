/**
 * What each Lua script answers, as types: the reply shapes each script's header comment
 * documents, read in one place. Tickets cross Redis as strings (they reach 2^48 + seq,
 * past Lua's number formatting) and are exact as JavaScript numbers (< 2^53).
 */

export type EnqueueReply =
  /**
   * In the queue; rank is 1-based; joinedNow is false for a repeated join. The sale's
   * counters are the status script's (StatusReply), for the join's poll interval.
   */
  | ({ kind: 'QUEUED'; joinedNow: boolean } & WaitingCounts)
  /** Admitted, waiting for the issuer (also while its request is due to be sent again). */
  | { kind: 'INFLIGHT'; ticket: number }
  /** A final outcome that forbids joining again (stored as the results hash keeps it). */
  | { kind: 'RESULT'; stored: string }
  | { kind: 'SOLD_OUT' }
  | { kind: 'FULL'; waiting: number }
  /** The event was deleted. */
  | { kind: 'CLOSED' }
  /** The live keys still hold another, retired sale of this id (`owner`): retire it first. */
  | { kind: 'STALE'; owner: string };

/** Where a waiting shopper stands, and the sale's counters their poll interval rests on. */
export interface WaitingCounts {
  /** 1-based. */
  rank: number;
  ticket: number;
  /** The fleet's observed admissions/s and when it was measured (ms), '' when never. */
  rate: string;
  rateAt: string;
  /** Coupons confirmed issued, and shoppers in flight (admitted, awaiting the issuer). */
  issued: number;
  inflight: number;
}

export type StatusReply =
  /** Waiting. */
  | ({ kind: 'QUEUED' } & WaitingCounts)
  /** Admitted; `ageMs` since the admission (re-sends do not reset it), absent when unrecorded. */
  | { kind: 'INFLIGHT'; ticket: number; ageMs?: number }
  | { kind: 'RESULT'; stored: string }
  | { kind: 'SOLD_OUT' }
  | { kind: 'CLOSED' }
  /** The shopper's outcome in a retired sale of this id (deleted, or replaced by this one). */
  | { kind: 'FORMER'; uid: string; stored: string }
  | { kind: 'STALE'; owner: string }
  /** Not in this event's queue. */
  | { kind: 'NONE' };

/** The live keys still hold another, retired sale of this id: nobody may be admitted. */
export interface StaleReply {
  kind: 'STALE';
  owner: string;
}

export interface AdmitReply {
  kind: 'ADMITTED';
  /** Redis time of the admission (ms). */
  nowMs: number;
  /** Shoppers still in the queue who can be admitted (0 when sold out). */
  waiting: number;
  /** Every coupon is confirmed issued: nobody new is admitted. */
  soldOut: boolean;
  /** Shoppers in flight after the call, the retry set included. */
  processing: number;
  /** How many of `shoppers` (the first ones) are sent again from the retry set. */
  resent: number;
  /**
   * How long ago (ms, Redis time) the oldest shopper in flight after the call was
   * admitted, re-sends not resetting it; 0 when nobody is in flight.
   */
  oldestAgeMs: number;
  /** The share of the configured rate backpressure allows now (0 < allowed <= 1). */
  allowed: number;
  /** Shoppers in flight admitted longer ago than the backpressure's overdue age. */
  overdue: number;
  /** This call cut the allowance: issuance falls behind. */
  slowed: boolean;
  shoppers: { userId: string; ticket: number }[];
}

export interface RequeueStaleReply {
  /** Shoppers moved to the retry set by this call. */
  moved: string[];
  /** Size of the retry set after the call. */
  retrying: number;
}

/** `former`: recorded for a retired sale of this id, where its holder reads it. */
export type RecordResultReply = 'recorded' | 'former' | 'duplicate' | 'deleted';

/**
 * `applied`: the coupon's state changed and the sale's redeemed count with it; `former`:
 * changed for a sale that does not own the live keys (retired, deleted), nothing counted;
 * `duplicate`: already applied, or older than the state applied.
 */
export type ApplyCouponEventReply = 'applied' | 'former' | 'duplicate';

export interface StatsReply {
  waiting: number;
  /** In flight: admitted and awaiting a result, the retry set included. */
  processing: number;
  /** The uid the event was deleted with; '' when not deleted. */
  tombstone: string;
  /** The event's stats hash (counters and sale state). */
  fields: Map<string, string>;
}

type Reply = unknown[];

/** The answers enqueue and status share: a shopper in flight, decided, or an event over. */
function sharedReply(
  script: string,
  reply: Reply,
): Extract<EnqueueReply, { kind: 'INFLIGHT' | 'RESULT' | 'SOLD_OUT' | 'CLOSED' | 'STALE' }> {
  switch (reply[0]) {
    case 'STALE':
      return { kind: 'STALE', owner: String(reply[1]) };
    case 'INFLIGHT':
      return { kind: 'INFLIGHT', ticket: Number(reply[1]) };
    case 'RESULT':
      return { kind: 'RESULT', stored: String(reply[1]) };
    case 'SOLD_OUT':
      return { kind: 'SOLD_OUT' };
    case 'CLOSED':
      return { kind: 'CLOSED' };
    default:
      throw new Error(`${script} script answered ${String(reply[0])}`);
  }
}

/** rank, ticket, rate, rateAt, issued, inflight from `at` on: enqueue and status answer them so. */
function waitingCounts(reply: Reply, at: number): WaitingCounts {
  return {
    rank: Number(reply[at]),
    ticket: Number(reply[at + 1]),
    rate: String(reply[at + 2] ?? ''),
    rateAt: String(reply[at + 3] ?? ''),
    issued: Number(reply[at + 4] ?? 0),
    inflight: Number(reply[at + 5] ?? 0),
  };
}

export function parseEnqueue(reply: Reply): EnqueueReply {
  if (reply[0] === 'QUEUED')
    return { kind: 'QUEUED', ...waitingCounts(reply, 1), joinedNow: Number(reply[7]) === 1 };
  if (reply[0] === 'FULL') return { kind: 'FULL', waiting: Number(reply[1]) };
  return sharedReply('enqueue', reply);
}

export function parseStatus(reply: Reply): StatusReply {
  if (reply[0] === 'QUEUED') return { kind: 'QUEUED', ...waitingCounts(reply, 1) };
  if (reply[0] === 'INFLIGHT') {
    const age = reply[2] ?? '';
    return age === ''
      ? { kind: 'INFLIGHT', ticket: Number(reply[1]) }
      : { kind: 'INFLIGHT', ticket: Number(reply[1]), ageMs: Number(age) };
  }
  if (reply[0] === 'NONE') return { kind: 'NONE' };
  if (reply[0] === 'FORMER')
    return { kind: 'FORMER', uid: String(reply[1]), stored: String(reply[2]) };
  return sharedReply('status', reply);
}

export function parseAdmit(reply: Reply): AdmitReply | StaleReply {
  if (reply[0] === 'STALE') return { kind: 'STALE', owner: String(reply[1]) };
  const shoppers: AdmitReply['shoppers'] = [];
  for (let i = 9; i + 1 < reply.length; i += 2)
    shoppers.push({ userId: String(reply[i]), ticket: Number(reply[i + 1]) });
  return {
    kind: 'ADMITTED',
    nowMs: Number(reply[0]),
    waiting: Number(reply[1]),
    soldOut: Number(reply[2]) === 1,
    processing: Number(reply[3]),
    resent: Number(reply[4]),
    oldestAgeMs: Number(reply[5]),
    allowed: Number(reply[6]),
    overdue: Number(reply[7]),
    slowed: Number(reply[8]) === 1,
    shoppers,
  };
}

export function parseRequeueStale(reply: Reply): RequeueStaleReply {
  return { moved: reply.slice(2).map(String), retrying: Number(reply[1]) };
}

export function parseRecordResult(reply: number): RecordResultReply {
  if (reply === 1) return 'recorded';
  if (reply === 2) return 'former';
  if (reply === -1) return 'deleted';
  return 'duplicate';
}

export function parseApplyCouponEvent(reply: number): ApplyCouponEventReply {
  if (reply === 1) return 'applied';
  if (reply === 2) return 'former';
  return 'duplicate';
}

export function parseStats(reply: Reply): StatsReply {
  const fields = new Map<string, string>();
  for (let i = 3; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]));
  return {
    waiting: Number(reply[0]),
    processing: Number(reply[1]),
    tombstone: String(reply[2] ?? ''),
    fields,
  };
}
