import type { DataSource } from 'typeorm';
import type { IssueOutcome, IssueRequest, IssueResult } from '@rediclaim/core';
import { eventKeyOf, type EventKey } from '../decisions/grouping.js';
import { planBatch, type Plan, type StoredCoupon, type StoredDecision } from '../decisions/plan.js';
import {
  judgeRevisions,
  newestPolicy,
  policiesByGeneration,
  type Revision,
} from '../decisions/revisions.js';
import { issuedOutboxInsert } from '../outbox/outbox-rows.js';
import { sqlOn, type CallbackConnection, type Sql } from './connection.js';
import { useReadCommitted } from './transaction.js';
import {
  couponInserts,
  createEvent,
  decisionInserts,
  eventUpdate,
  hasDecisions,
  loadUserHistory,
  lockEvent,
  recordRevision,
} from './ledger.js';

export interface EventDecision {
  /** One final result per distinct requestId. */
  results: Map<string, IssueResult>;
  /** Fresh decisions by outcome (redeliveries not included). */
  outcomes: Partial<Record<IssueOutcome, number>>;
  redelivered: number;
  stock: number;
  issued: number;
  /** Generations this transaction recorded in the audit for the first time. */
  revisions: Revision[];
  /** A newer generation asked for another code format; codes keep the event's first one. */
  codeFormatKept: boolean;
  /** Set when this transaction created the event row (with that generation). */
  createdGeneration?: number;
  /** Milliseconds spent in each step, for debug logs. */
  timings: { lock: number; read: number; plan: number; write: number; commit: number };
}

/**
 * Decides one event's requests in one transaction: lock the event row (creating it
 * from the requests' policy when it is new), apply or refuse newer config generations,
 * read the users' coupons and earlier decisions, decide (planBatch), insert coupons
 * and decisions, update the count, commit. Safe to run again with the same requests,
 * committed or not: what was decided is read back, never decided twice.
 * `requests` must be distinct by requestId and all of this event.
 */
export async function decideEvent(
  dataSource: DataSource,
  secret: string,
  key: EventKey,
  requests: readonly IssueRequest[],
  options: {
    now?: Date;
    queryTimeoutMs?: number;
    /** False: read the users' history whatever the sale holds (the retry after a duplicate). */
    optimistic?: boolean;
  } = {},
): Promise<EventDecision> {
  const now = options.now ?? new Date();
  let optimistic = options.optimistic ?? true;
  let retryWithHistory = false;
  const q = dataSource.createQueryRunner();
  let mark = performance.now();
  const lap = () => {
    const at = performance.now();
    const ms = Math.round((at - mark) * 10) / 10;
    mark = at;
    return ms;
  };
  let began = false;
  let sql: Sql | undefined;
  try {
    // TypeORM lends the pooled connection; the statements go straight to it, in order.
    const connection = (await q.connect()) as CallbackConnection;
    sql = sqlOn(connection, options.queryTimeoutMs);
    // READ COMMITTED: once the event row is locked every later read sees every commit
    // before ours, and inserts take no gap locks (fewer deadlocks between replicas).
    // Set once per connection, not per transaction.
    const pending: Promise<unknown>[] = [useReadCommitted(connection, sql)];
    pending.push(sql('START TRANSACTION'));
    began = true;
    const locking = lockEvent(sql, key);
    locking.catch(() => undefined); // awaited below; a failure before that is reported once
    await Promise.all(pending);
    let row = await locking;

    const policies = policiesByGeneration(requests);
    const recorded: Revision[] = [];
    let createdGeneration: number | undefined;
    if (!row) {
      const policy = newestPolicy(policies);
      await createEvent(sql, key, policy, now);
      row = await lockEvent(sql, key);
      if (!row) throw new Error(`event ${eventKeyOf(key)} vanished after its insert`);
      const creation: Revision = {
        generation: row.generation,
        outcome: 'APPLIED',
        stock: row.stock,
        previousStock: row.stock,
        issuedThen: row.issued,
        policy: row.policy,
      };
      if (await recordRevision(sql, row.id, { ...creation, previousStock: null }, now)) {
        recorded.push(creation);
        createdGeneration = creation.generation;
      }
    }
    const lock = lap();

    const judged = judgeRevisions(row, policies);
    for (const revision of judged.revisions) {
      if (await recordRevision(sql, row.id, revision, now)) recorded.push(revision);
    }
    const state = judged.state;
    const lockedRow = row;
    const planWith = (history: { coupons: StoredCoupon[]; decisions: StoredDecision[] }) =>
      planBatch({
        tenant: key.tenant,
        eventId: key.eventId,
        uid: key.uid,
        event: { ...state, codePrefix: lockedRow.codePrefix, codeLength: lockedRow.codeLength },
        refused: judged.refused,
        requests,
        coupons: history.coupons,
        decisions: history.decisions,
        now,
        secret,
      });
    // Planning may run twice (without history, then with): its time is summed, and the
    // rest of this step is reading.
    let planned = 0;
    const plannedWith = (history: { coupons: StoredCoupon[]; decisions: StoredDecision[] }) => {
      const at = performance.now();
      const made = planWith(history);
      planned += performance.now() - at;
      return made;
    };
    const readHistory = () =>
      loadUserHistory(sql!, lockedRow.id, [...new Set(requests.map((r) => r.userId))]);
    // First deliveries are nearly every request of a sale, and reading their (empty)
    // history is a third of the time the row is locked. So while the sale has no
    // decision other than coupons, plan as if nobody had history: if that issues to
    // every request, the unique key (event, user, seq) proves it (a user with any coupon
    // has its seq 1, which the insert then meets: rolled back and decided again with
    // the history read). Anything else (sold out, a refusal, a second ticket of a user
    // in the batch) is planned from the history, as always.
    optimistic =
      optimistic && judged.refused.size === 0 && !(await hasDecisions(sql, lockedRow.id));
    let plan = plannedWith(optimistic ? NO_HISTORY : await readHistory());
    if (optimistic && !issuesToAll(plan, requests.length)) {
      optimistic = false;
      plan = plannedWith(await readHistory());
    }
    const read = lap() - planned;

    // Every write at once (mysql2 runs them back to back); COMMIT only once all succeeded:
    // a failed statement does not end a MySQL transaction, a COMMIT after it would keep
    // the rest.
    const policyChanged = state.generation !== row.generation;
    const writes = [
      ...couponInserts(row.id, plan.coupons),
      ...decisionInserts(row.id, plan.decisions),
    ].map((statement) => sql!(statement));
    // The CouponIssued events commit with the coupons or not at all (the outbox).
    const outbox = issuedOutboxInsert(
      row.id,
      plan.coupons.map((c) => c.serial),
      now,
    );
    if (outbox) writes.push(sql(outbox));
    if (policyChanged || plan.issued !== row.issued) {
      const update = eventUpdate(row.id, { ...state, issued: plan.issued }, policyChanged, now);
      writes.push(sql(update.sql, update.values));
    }
    const settled = await Promise.allSettled(writes);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      const error = (failed as PromiseRejectedResult).reason as unknown;
      if (optimistic && isDuplicateKey(error)) retryWithHistory = true;
      throw error;
    }
    const write = lap();
    await sql('COMMIT');
    began = false;
    const commit = lap();

    const outcomes: Partial<Record<IssueOutcome, number>> = {};
    if (plan.coupons.length > 0) outcomes.ISSUED = plan.coupons.length;
    for (const decision of plan.decisions) {
      outcomes[decision.outcome] = (outcomes[decision.outcome] ?? 0) + 1;
    }
    return {
      results: plan.results,
      outcomes,
      redelivered: plan.redelivered,
      stock: state.stock,
      issued: plan.issued,
      revisions: recorded,
      ...(createdGeneration !== undefined ? { createdGeneration } : {}),
      timings: { lock, read: round(read), plan: round(planned), write, commit },
      codeFormatKept:
        policyChanged &&
        (state.policy.code.prefix !== row.codePrefix ||
          state.policy.code.length !== row.codeLength),
    };
  } catch (error) {
    // Queued behind anything still running on the connection, so it comes last.
    if (began && sql) await sql('ROLLBACK').catch(() => undefined);
    if (!retryWithHistory) throw error;
  } finally {
    await q.release().catch(() => undefined);
  }
  // Someone in the batch had a coupon already (a redelivery): decide it again, reading
  // the history this time.
  return decideEvent(dataSource, secret, key, requests, { ...options, now, optimistic: false });
}

const NO_HISTORY = { coupons: [], decisions: [] };
const round = (ms: number) => Math.round(ms * 10) / 10;

/** Every request decided fresh and issued: the only plan taken without reading history. */
function issuesToAll(plan: Plan, requests: number): boolean {
  return plan.coupons.length === requests && plan.decisions.length === 0 && plan.redelivered === 0;
}

/** MySQL's ER_DUP_ENTRY: an insert met a unique key. */
function isDuplicateKey(error: unknown): boolean {
  return (error as { errno?: unknown } | null)?.errno === 1062;
}
