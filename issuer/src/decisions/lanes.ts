import {
  backoffDelay,
  sleep,
  type BackoffPolicy,
  type IssueRequest,
  type IssueResult,
} from '@rediclaim/core';
import { distinctRequests, eventKeyOf, type EventKey } from './grouping.js';

/** The batch in hand was given up (shutdown, or its partition moved): nothing is committed for it. */
export class AbandonedError extends Error {
  override readonly name = 'AbandonedError';
  constructor(message = 'the batch was abandoned before it was decided') {
    super(message);
  }
}

export interface LaneDecision {
  results: Map<string, IssueResult>;
}

/** Decides one event's distinct requests in one transaction (decideEvent, bound to a database). */
export type DecideFn<D extends LaneDecision> = (
  key: EventKey,
  requests: readonly IssueRequest[],
) => Promise<D>;

export interface LaneHooks<D extends LaneDecision> {
  /**
   * After each committed transaction, with what it decided, how many distinct requests
   * it took, and how many more copies of them the batches held.
   */
  decided?(key: EventKey, decision: D, requests: number, seconds: number, copies: number): void;
  /** After a failed attempt, before waiting `delayMs` to try again. */
  failed?(key: EventKey, error: unknown, attempt: number, delayMs: number): void;
}

interface Job {
  requests: readonly IssueRequest[];
  resolve(results: Map<string, IssueResult>): void;
  reject(error: Error): void;
  settled: boolean;
}

interface Lane {
  key: EventKey;
  pending: Job[];
  retrying: boolean;
}

/**
 * One lane per event: a single transaction at a time decides an event in this process,
 * and requests that arrive meanwhile (other partitions' batches) wait and are decided
 * together in the next one, like a group commit. Fewer, bigger transactions: the event
 * row lock is taken once for many partitions, and every row insert shares one commit.
 *
 * A failed transaction (database down, deadlock, timeout) is retried with capped
 * backoff, for as long as it takes: nothing is skipped, and since a transaction that
 * did commit is read back by the next attempt, nothing is decided twice. A caller can
 * stop waiting (its signal aborts); its requests then leave the lane at the next attempt.
 */
export class EventLanes<D extends LaneDecision> {
  private readonly lanes = new Map<string, Lane>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly decide: DecideFn<D>,
    private readonly options: {
      backoff: BackoffPolicy;
      maxRequestsPerTransaction: number;
      hooks?: LaneHooks<D>;
    },
  ) {}

  /** Results for every request (by requestId) once a transaction has committed them. */
  submit(
    key: EventKey,
    requests: readonly IssueRequest[],
    signal?: AbortSignal,
  ): Promise<Map<string, IssueResult>> {
    return new Promise((resolve, reject) => {
      if (this.stopping.signal.aborted) return reject(new AbandonedError('the issuer is stopping'));
      if (signal?.aborted) return reject(new AbandonedError());
      const job: Job = {
        requests,
        settled: false,
        resolve: (results) => {
          if (job.settled) return;
          job.settled = true;
          signal?.removeEventListener('abort', onAbort);
          resolve(results);
        },
        reject: (error) => {
          if (job.settled) return;
          job.settled = true;
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = () => job.reject(new AbandonedError());
      signal?.addEventListener('abort', onAbort, { once: true });

      const id = eventKeyOf(key);
      let lane = this.lanes.get(id);
      if (!lane) {
        lane = {
          key: { tenant: key.tenant, eventId: key.eventId, uid: key.uid },
          pending: [],
          retrying: false,
        };
        this.lanes.set(id, lane);
        lane.pending.push(job);
        // Let the other partitions' batches of this fetch join the first transaction.
        setImmediate(() => void this.run(id, lane!));
      } else {
        lane.pending.push(job);
      }
    });
  }

  /** True while some lane is waiting out a failure: callers may give up their batch. */
  retrying(keys: Iterable<string>): boolean {
    for (const key of keys) if (this.lanes.get(key)?.retrying) return true;
    return false;
  }

  /** Gives up every waiting job (AbandonedError); a transaction in flight still finishes. */
  stop(): void {
    this.stopping.abort();
    for (const lane of this.lanes.values()) {
      for (const job of lane.pending) job.reject(new AbandonedError('the issuer is stopping'));
    }
  }

  private async run(id: string, lane: Lane): Promise<void> {
    try {
      while (lane.pending.length > 0) {
        const jobs = this.take(lane);
        let attempt = 0;
        for (;;) {
          const live = jobs.filter((j) => !j.settled);
          if (live.length === 0) break;
          if (this.stopping.signal.aborted) {
            for (const job of live) job.reject(new AbandonedError('the issuer is stopping'));
            break;
          }
          const all = live.flatMap((j) => j.requests);
          const requests = distinctRequests(all);
          const started = process.hrtime.bigint();
          try {
            const decision = await this.decide(lane.key, requests);
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            lane.retrying = false;
            this.hook(() =>
              this.options.hooks?.decided?.(
                lane.key,
                decision,
                requests.length,
                seconds,
                all.length - requests.length,
              ),
            );
            for (const job of live) {
              const mine = new Map<string, IssueResult>();
              for (const request of job.requests) {
                const result = decision.results.get(request.requestId);
                if (result) mine.set(request.requestId, result);
              }
              job.resolve(mine);
            }
            break;
          } catch (error) {
            attempt += 1;
            lane.retrying = true;
            const delay = backoffDelay(attempt, this.options.backoff);
            this.hook(() => this.options.hooks?.failed?.(lane.key, error, attempt, delay));
            await sleep(delay, this.stopping.signal);
          }
        }
      }
    } finally {
      // Nothing awaits between the last empty check and here: no job can be left behind.
      this.lanes.delete(id);
    }
  }

  /** Metrics and logs never break the loop that decides. */
  private hook(call: () => void): void {
    try {
      call();
    } catch {
      // ignored on purpose
    }
  }

  /** The next transaction's jobs: waiting ones in arrival order, up to the request cap. */
  private take(lane: Lane): Job[] {
    const jobs: Job[] = [];
    let count = 0;
    while (lane.pending.length > 0) {
      const next = lane.pending[0]!;
      if (next.settled) {
        lane.pending.shift();
        continue;
      }
      if (
        jobs.length > 0 &&
        count + next.requests.length > this.options.maxRequestsPerTransaction
      ) {
        break;
      }
      lane.pending.shift();
      jobs.push(next);
      count += next.requests.length;
    }
    return jobs;
  }
}
