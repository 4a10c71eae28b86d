import { Agent, Pool, type Dispatcher } from 'undici';
import { isFinalStatus, UserStatus } from '@rediclaim/core';
import { arrivalOffsetMs, type ArrivalShape } from './arrival.js';
import { percentiles } from './percentiles.js';
import { followStream } from './push-follow.js';
import { powSolutionHeader, solvePow, type PowChallengeJson } from './pow-solver.js';

/** The join refusals a (new) solved challenge answers. */
const POW_CODES = new Set(['POW_REQUIRED', 'POW_INVALID', 'POW_REPLAYED']);

export interface CrowdOptions {
  gateUrls: string[];
  eventId: string;
  users: number;
  /** The window the crowd arrives in, in seconds; 0 = everybody in the same instant. */
  arrivalSeconds: number;
  /** How arrivals fill the window (arrival.ts); default spread (evenly). */
  arrival?: ArrivalShape;
  userIdPrefix: string;
  connectionsPerGate?: number;
  /** Poll interval when the gate suggests none. */
  pollMs?: number;
  /** A shopper who has no final outcome after this long counts as lost. */
  giveUpMs?: number;
  /**
   * v1 (default): join with POST /v1/events/:id/queue and follow pollAfterMs from
   * GET .../queue/me, as the waiting-room page does. seed: the seed's clients
   * (enqueue, then rank every pollMs).
   */
  api?: 'v1' | 'seed';
  /**
   * v1 only: after the join, follow the push stream (GET .../queue/me/stream?ticket=) as
   * the page does, polling only when the gate refuses it (past its stream limit) or it
   * breaks. Each stream holds a connection of its own for as long as it lasts.
   */
  push?: boolean;
  /**
   * Streams this process holds open at most (default 8,000): each is a socket, and a
   * process here may open 20,000 files. A shopper past it polls, like a browser without
   * EventSource; the report counts them.
   */
  maxOpenStreams?: number;
  onProgress?: (progress: CrowdProgress) => void;
}

export interface CrowdProgress {
  elapsedMs: number;
  joined: number;
  byStatus: Partial<Record<string, number>>;
  finished: number;
  requests: number;
  errors: number;
}

export interface ShopperResult {
  userId: string;
  status: string;
  /** Rank the gate gave at join (1-based). */
  rankAtJoin?: number;
  /** The queue ticket (arrival order), read from the v1 signed ticket. */
  ticket?: number;
  /** When the gate answered the join (epoch ms). */
  joinedAt?: number;
  /** The join answer said the shopper is in the pre-queue (joined before the opening). */
  preQueue?: boolean;
  /** From the join request to learning the outcome. */
  waitMs?: number;
  couponCode?: string;
}

export interface CrowdReport {
  users: number;
  arrival: ArrivalShape;
  arrivalSeconds: number;
  outcomes: Record<string, number>;
  waitMs: { p50: number; p95: number; p99: number; max: number };
  /** When the last shopper learned their outcome, from the first arrival. */
  allKnowMs: number;
  requests: number;
  errors: { http5xx: number; http503: number; http429: number; http4xx: number; network: number };
  /**
   * Requests sent again at once because the kept-alive connection they went out on had
   * just been closed by the server, before any answer (as browsers do): not failures.
   */
  connectionRetries: number;
  /**
   * With push: streams followed to the outcome, those given up for polling (refused or
   * broken), and shoppers who polled because this process held its most streams.
   */
  streams?: { ended: number; fellBack: number; overCrowdLimit: number };
  /**
   * Proof of work: challenges solved (the crowd solves once the gate asks for it, with
   * node:crypto, as a bot farm would) and the time this process spent solving them.
   */
  pow: { solved: number; solveMs: number };
  /** The error codes of the 503 answers (OVERLOADED, QUEUE_FULL, UNAVAILABLE, ...). */
  unavailableCodes: Record<string, number>;
  /** When the first shopper was admitted (saw PROCESSING or a coupon), epoch ms. */
  firstAdmittedAt?: number;
  shoppers: ShopperResult[];
}

interface GateAnswer {
  status: string;
  /** v1: the signed ticket, `base64url(JSON {t, e, u, n}).mac`. */
  ticket?: string;
  rank?: number | null;
  preQueue?: boolean;
  pollAfterMs?: number;
  coupon?: { code?: string };
  couponCode?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server closed the connection under a request before answering it (undici's words for it). */
function closedUnderneath(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** The ticket number inside a signed ticket; its payload is readable by design, only the MAC is secret. */
function ticketNumber(signed: string | undefined): number | undefined {
  if (!signed) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(signed.split('.')[0]!, 'base64url').toString('utf8')) as {
      n?: unknown;
    };
    return typeof claims.n === 'number' ? claims.n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A crowd of shoppers: each joins once, then polls until a final answer, honoring
 * Retry-After on 429/503 and the poll interval the gate suggests, the way a polite
 * client (and the waiting-room page) does.
 */
export async function runCrowd(options: CrowdOptions): Promise<CrowdReport> {
  const pools = options.gateUrls.map(
    (url) =>
      new Pool(url, {
        connections: options.connectionsPerGate ?? 64,
        pipelining: 1,
        keepAliveTimeout: 30_000,
      }),
  );
  const pollMs = options.pollMs ?? 1_000;
  const arrival = options.arrival ?? 'spread';
  const giveUpMs = options.giveUpMs ?? 300_000;
  const errors = { http5xx: 0, http503: 0, http429: 0, http4xx: 0, network: 0 };
  const byStatus: Record<string, number> = {};
  const shoppers: ShopperResult[] = [];
  let requests = 0;
  let connectionRetries = 0;
  const pow = { solved: 0, solveMs: 0 };
  // Once one join was asked for proof of work, every later join solves before it asks.
  let powRequired = false;
  const push = options.push === true && options.api !== 'seed';
  // Streams are long requests: each open one on a connection of its own, however many.
  // The gate ends a stream's response after its outcome, so a later shopper's stream
  // reuses the connection instead of paying a connect and a reset (undici's errors).
  const streamAgent = push
    ? new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 10_000 })
    : undefined;
  const streams = { ended: 0, fellBack: 0, overCrowdLimit: 0 };
  const maxOpenStreams = options.maxOpenStreams ?? 8_000;
  let openStreams = 0;
  const unavailableCodes: Record<string, number> = {};
  let firstAdmittedAt: number | undefined;
  let joined = 0;
  let finished = 0;
  const started = Date.now();
  let lastFinish = started;

  const call = async (
    pool: Pool,
    method: 'POST' | 'GET',
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ answer?: GateAnswer; retryAfterMs?: number; body?: unknown }> => {
    requests++;
    let res: Dispatcher.ResponseData;
    let text: string;
    const request = { method, path, headers, headersTimeout: 30_000, bodyTimeout: 30_000 };
    try {
      res = await pool.request(request).catch((error: unknown) => {
        // A kept-alive connection the server closed as this request went out on it
        // (a gate draining before it stops): send it once more on a new connection.
        if (!closedUnderneath(error)) throw error;
        connectionRetries++;
        return pool.request(request);
      });
      text = await res.body.text();
    } catch {
      errors.network++;
      return { retryAfterMs: 1000 };
    }
    if (res.statusCode === 503 || res.statusCode === 429) {
      if (res.statusCode === 503) {
        errors.http503++;
        let code = 'no code';
        try {
          code = (JSON.parse(text) as { code?: string }).code ?? code;
        } catch {
          // not JSON: counted under "no code"
        }
        unavailableCodes[code] = (unavailableCodes[code] ?? 0) + 1;
      } else errors.http429++;
      const retry = Number(res.headers['retry-after'] ?? 1);
      return { retryAfterMs: (Number.isFinite(retry) ? retry : 1) * 1000 };
    }
    if (res.statusCode >= 500) {
      errors.http5xx++;
      return { retryAfterMs: 1000 };
    }
    let body: GateAnswer & { code?: string; details?: { status?: GateAnswer } };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      errors.http5xx++;
      return { retryAfterMs: 1000 };
    }
    // A join refused because the shopper holds their coupons already (a join sent again
    // after an answer that did not arrive, when the first one went through) carries what
    // the shopper sees, coupon and all: that is the answer.
    if (res.statusCode === 409 && body.code === 'ALREADY_ISSUED' && body.details?.status?.status)
      return { answer: body.details.status };
    // Refusals (404 unknown event, 409 sold out, ...) still carry a status to act on.
    if (res.statusCode >= 400 && !body.status) {
      // A refusal naming a shopper's state (SOLD_OUT, ALREADY_ISSUED, EVENT_CLOSED...)
      // is an answer, not an error.
      const status = body.code ?? `HTTP_${res.statusCode}`;
      // Asked for proof of work: the shopper solves and joins again (not an error).
      if (POW_CODES.has(status)) return { answer: { status } };
      if (!(Object.values(UserStatus) as string[]).includes(status)) errors.http4xx++;
      return { answer: { status } };
    }
    if (
      firstAdmittedAt === undefined &&
      (body.status === UserStatus.Processing || body.status === UserStatus.Issued)
    )
      firstAdmittedAt = Date.now();
    return { answer: body, body };
  };

  /** A solved challenge of the event, as the join's X-Pow-Solution header. */
  const solved = async (pool: Pool, event: string): Promise<string | undefined> => {
    const r = await call(pool, 'GET', `/v1/events/${event}/challenge`);
    if (!r.body) return undefined;
    const challenge = r.body as PowChallengeJson;
    const from = performance.now();
    const number = await solvePow(challenge);
    pow.solveMs += performance.now() - from;
    pow.solved++;
    return powSolutionHeader(challenge, number);
  };

  const tally = (from: string | undefined, to: string) => {
    if (from) byStatus[from] = (byStatus[from] ?? 1) - 1;
    byStatus[to] = (byStatus[to] ?? 0) + 1;
  };

  const shopper = async (index: number): Promise<void> => {
    const userId = `${options.userIdPrefix}${index}`;
    const pool = pools[index % pools.length]!;
    const event = encodeURIComponent(options.eventId);
    const user = encodeURIComponent(userId);
    const seed = options.api === 'seed';
    const joinPath = seed
      ? `/gate/events/${event}/enqueue?userId=${user}`
      : `/v1/events/${event}/queue?userId=${user}`;
    const statusPath = seed
      ? `/gate/events/${event}/rank?userId=${user}`
      : `/v1/events/${event}/queue/me?userId=${user}`;
    const result: ShopperResult = { userId, status: 'NOT_JOINED' };
    shoppers.push(result);
    await sleep(arrivalOffsetMs(arrival, index, options.users, options.arrivalSeconds));
    const joinedAt = Date.now();
    const deadline = joinedAt + giveUpMs;
    let status: string | undefined;
    let answer: GateAnswer | undefined;
    // Join, retrying politely while the gate sheds load, and again a moment later when
    // the sale has not opened yet (as the waiting-room page does at the countdown's end).
    while (
      (!answer || answer.status === UserStatus.EventNotOpen || POW_CODES.has(answer.status)) &&
      Date.now() < deadline
    ) {
      if (answer && !POW_CODES.has(answer.status))
        await sleep(pollMs * (0.8 + Math.random() * 0.4));
      if (answer && POW_CODES.has(answer.status)) powRequired = true;
      const solution = powRequired ? await solved(pool, event) : undefined;
      const r = await call(pool, 'POST', joinPath, solution ? { 'x-pow-solution': solution } : {});
      if (r.answer) answer = r.answer;
      else await sleep(r.retryAfterMs!);
    }
    joined++;
    if (answer) {
      result.joinedAt = Date.now();
      if (answer.preQueue) result.preQueue = true;
      result.rankAtJoin = answer.rank ?? undefined;
      result.ticket = ticketNumber(answer.ticket);
      const joinedStatus =
        answer.status === 'ENQUEUED' || answer.status === 'ALREADY_ENQUEUED'
          ? UserStatus.Waiting
          : answer.status;
      tally(status, joinedStatus);
      status = joinedStatus;
    }
    const learned = (body: GateAnswer) => {
      if (
        firstAdmittedAt === undefined &&
        (body.status === UserStatus.Processing || body.status === UserStatus.Issued)
      )
        firstAdmittedAt = Date.now();
      answer = body;
      if (body.status !== status) {
        tally(status, body.status);
        status = body.status;
      }
    };
    const wantsStream =
      streamAgent && answer?.ticket && status && !isFinalStatus(status as UserStatus);
    if (wantsStream && openStreams >= maxOpenStreams) streams.overCrowdLimit++;
    else if (wantsStream) {
      openStreams++;
      const base = options.gateUrls[index % options.gateUrls.length]!.replace(/\/$/, '');
      const end = await followStream(
        `${base}/v1/events/${event}/queue/me/stream?ticket=${encodeURIComponent(answer!.ticket!)}`,
        streamAgent,
        (body) => learned(body as GateAnswer),
        () => requests++,
        deadline,
      );
      openStreams--;
      if (end.kind === 'ended') streams.ended++;
      else if (end.kind === 'fallback') streams.fellBack++;
    }
    while (status !== undefined && !isFinalStatus(status as UserStatus) && Date.now() < deadline) {
      // Up to 10 % more than the gate says, as the waiting-room page waits (poller.js):
      // the gate spreads the crowd itself, by ticket.
      const suggested = answer?.pollAfterMs ?? pollMs;
      await sleep(suggested * (1 + Math.random() * 0.1));
      const r = await call(pool, 'GET', statusPath);
      if (!r.answer) {
        await sleep(r.retryAfterMs!);
        continue;
      }
      answer = r.answer;
      if (answer.status !== status) {
        tally(status, answer.status);
        status = answer.status;
      }
    }
    const done = status !== undefined && isFinalStatus(status as UserStatus);
    result.status = done ? status! : 'LOST';
    if (!done) tally(status, 'LOST');
    if (done) {
      const now = Date.now();
      result.waitMs = now - joinedAt;
      lastFinish = Math.max(lastFinish, now);
      result.couponCode = answer?.coupon?.code ?? answer?.couponCode;
    }
    finished++;
  };

  const report = () =>
    options.onProgress?.({
      elapsedMs: Date.now() - started,
      joined,
      byStatus: { ...byStatus },
      finished,
      requests,
      errors: errors.http5xx + errors.network + errors.http4xx,
    });
  const ticker = options.onProgress ? setInterval(report, 1000) : undefined;
  try {
    await Promise.all(Array.from({ length: options.users }, (_, i) => shopper(i)));
  } finally {
    if (ticker) clearInterval(ticker);
    // Where everybody ended, also for a crowd done within its first second.
    report();
    await Promise.all(pools.map((p) => p.close()));
    await streamAgent?.close();
  }

  const waits = shoppers.filter((s) => s.waitMs !== undefined).map((s) => s.waitMs!);
  const [p50, p95, p99, max] = percentiles(waits, [50, 95, 99, 100]);
  const outcomes: Record<string, number> = {};
  for (const s of shoppers) outcomes[s.status] = (outcomes[s.status] ?? 0) + 1;
  return {
    users: options.users,
    arrival,
    arrivalSeconds: options.arrivalSeconds,
    outcomes,
    waitMs: { p50: p50!, p95: p95!, p99: p99!, max: max! },
    allKnowMs: lastFinish - started,
    requests,
    errors,
    connectionRetries,
    pow,
    ...(push ? { streams } : {}),
    unavailableCodes,
    ...(firstAdmittedAt !== undefined ? { firstAdmittedAt } : {}),
    shoppers,
  };
}
