import type { EventKeys } from '@rediclaim/core';
import type { Redis, Result } from 'ioredis';
import { scriptSource } from './lua-source.js';
import {
  parseAdmit,
  parseApplyCouponEvent,
  parseEnqueue,
  parseRecordResult,
  parseRequeueStale,
  parseStats,
  parseStatus,
  type AdmitReply,
  type ApplyCouponEventReply,
  type EnqueueReply,
  type RecordResultReply,
  type RequeueStaleReply,
  type StaleReply,
  type StatsReply,
  type StatusReply,
} from './script-replies.js';

/**
 * The KEYS of every script, in the order its Lua reads them: declared once, here. The
 * count ioredis needs is the length, and a test checks each list against the KEYS the
 * script's header documents.
 */
export const scriptKeys = {
  enqueue: ['queue', 'seq', 'inflight', 'results', 'stats', 'tombstone'],
  status: ['queue', 'inflight', 'results', 'stats', 'tombstone', 'retired', 'admittedAt'],
  admit: ['queue', 'inflight', 'deadlines', 'stats', 'limiter', 'tombstone', 'retry', 'admittedAt'],
  requeueStale: ['inflight', 'deadlines', 'stats', 'retry'],
  requeueFailed: ['inflight', 'deadlines', 'stats', 'retry'],
  recordResults: [
    'queue',
    'inflight',
    'deadlines',
    'results',
    'stats',
    'tombstone',
    'retry',
    'retired',
    'admittedAt',
  ],
  stats: ['queue', 'inflight', 'stats', 'tombstone'],
  retire: [
    'queue',
    'seq',
    'inflight',
    'deadlines',
    'results',
    'stats',
    'limiter',
    'retry',
    'tombstone',
    'retired',
    'admittedAt',
  ],
  applyCouponEvent: ['redemptions', 'stats', 'tombstone', 'retired'],
} as const satisfies Record<string, readonly (keyof EventKeys)[]>;

export type ScriptName = keyof typeof scriptKeys;

type Arg = string | number;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rcEnqueue(...args: Arg[]): Result<unknown[], Context>;
    rcStatus(...args: Arg[]): Result<unknown[], Context>;
    rcAdmit(...args: Arg[]): Result<unknown[], Context>;
    rcRequeueStale(...args: Arg[]): Result<unknown[], Context>;
    rcRequeueFailed(...args: Arg[]): Result<number, Context>;
    rcRecordResults(...args: Arg[]): Result<number[], Context>;
    rcStats(...args: Arg[]): Result<unknown[], Context>;
    rcRetire(...args: Arg[]): Result<number, Context>;
    rcApplyCouponEvent(...args: Arg[]): Result<number, Context>;
  }
}

const commandName = (name: ScriptName) => `rc${name[0]!.toUpperCase()}${name.slice(1)}`;

/** The script's KEYS for one event, in its order. */
const keysOf = (name: ScriptName, k: EventKeys): string[] => scriptKeys[name].map((key) => k[key]);

export interface EnqueueArgs {
  userId: string;
  stock: Arg;
  perUserLimit: Arg;
  maxQueueLength: Arg;
  /** A random 48-bit ticket during the pre-queue; '' once the event is open. */
  preQueueTicket: string;
  /** The event's uid ('' when unknown). */
  uid: string;
}

export interface StatusArgs {
  userId: string;
  /** The event's current stock; '' when the event is not in the config. */
  stock: Arg;
  uid: string;
}

export interface AdmitArgs {
  /** Sends per second, fleet-wide. */
  rate: number;
  /** Most tokens the bucket holds (>= 1). */
  burst: number;
  stock: Arg;
  /** When an unanswered request is sent again. */
  timeoutMs: number;
  /** Most shoppers one call sends (<= 3000: Lua's unpack limit). */
  batchMax: number;
  uid: string;
  /** Also admit from the queue (the event is open), not only the retry set. */
  admitNew: boolean;
  /** Backpressure (admit.lua explains it); absent: none, the bucket fills at the rate. */
  backpressure?: Backpressure;
}

/** How admission follows issuance: admit.lua's ARGV 8 to 11. */
export interface Backpressure {
  /** An admission without a result after this long is overdue (ms). */
  overdueMs: number;
  /** The least share of the rate kept (0 < floor <= 1). */
  floor: number;
  /** The share of the allowed rate kept at each slowdown (0 < cut < 1). */
  cut: number;
  /** The share of the rate regained per healthy second. */
  recoveryPerSecond: number;
}

export interface RecordResultArgs {
  userId: string;
  /** The sale the request was for ('' when unknown). */
  uid: string;
  ticket: number;
  outcome: string;
  /** The stored result; must start with {"ticket":T,"status":"<outcome>" (result_header.lua). */
  resultJson: string;
  /** The stock the issuer decided against, and what it left. */
  stock: number;
  remaining: number;
  retentionSeconds: number;
}

export interface RetireArgs {
  /** The retired sale's uid; '*' retires whatever the event's live keys hold. */
  uid: string;
  /** How long the tombstone and the sale's outcomes stay. */
  retentionSeconds: number;
}

export interface ApplyCouponEventArgs {
  /** Which coupon: redemptionField(code, serial). */
  field: string;
  userId: string;
  /** The event's place in the coupon's history. */
  sequence: number;
  state: 'REDEEMED' | 'AVAILABLE';
  /** When it happened (ISO 8601). */
  at: string;
  /** The sale the event names ('' when none). */
  uid: string;
  retentionSeconds: number;
}

/** A shopper admitted (or sent again) by one call: whose request to send, with which ticket. */
export interface AdmittedShopper {
  userId: string;
  ticket: number;
}

/**
 * Every call of the gate's Lua scripts goes through here (as BullMQ's Scripts class owns
 * its scripts): one method per script, taking an event's keys and named arguments and
 * returning a typed reply. The scripts are registered on the connection with ioredis'
 * defineCommand, which calls them by SHA (EVALSHA) and loads them on NOSCRIPT.
 */
export class GateScripts {
  constructor(readonly redis: Redis) {
    const marked = redis as Redis & { __rcGateScripts?: boolean };
    if (marked.__rcGateScripts) return;
    for (const name of Object.keys(scriptKeys) as ScriptName[]) {
      redis.defineCommand(commandName(name), {
        numberOfKeys: scriptKeys[name].length,
        lua: scriptSource(name),
      });
    }
    marked.__rcGateScripts = true;
  }

  async enqueue(k: EventKeys, a: EnqueueArgs): Promise<EnqueueReply> {
    return parseEnqueue(await this.redis.rcEnqueue(...enqueueCall(k, a)));
  }

  /** Many joins in one round trip (pipelined): tests and tools fill queues this way. */
  async enqueueMany(calls: { keys: EventKeys; args: EnqueueArgs }[]): Promise<EnqueueReply[]> {
    const pipeline = this.redis.pipeline();
    for (const c of calls) pipeline.rcEnqueue(...enqueueCall(c.keys, c.args));
    return execAll(pipeline, parseEnqueue);
  }

  async status(k: EventKeys, a: StatusArgs): Promise<StatusReply> {
    return parseStatus(await this.redis.rcStatus(...keysOf('status', k), a.userId, a.stock, a.uid));
  }

  async admit(k: EventKeys, a: AdmitArgs): Promise<AdmitReply | StaleReply> {
    return parseAdmit(
      await this.redis.rcAdmit(
        ...keysOf('admit', k),
        a.rate,
        a.burst,
        a.stock,
        a.timeoutMs,
        a.batchMax,
        a.uid,
        a.admitNew ? 1 : 0,
        a.backpressure?.overdueMs ?? 0,
        a.backpressure?.floor ?? 1,
        a.backpressure?.cut ?? 0.5,
        a.backpressure?.recoveryPerSecond ?? 0,
      ),
    );
  }

  /** Overdue admissions join the retry set, at most `limit` per call. */
  async requeueStale(k: EventKeys, limit: number): Promise<RequeueStaleReply> {
    return parseRequeueStale(await this.redis.rcRequeueStale(...keysOf('requeueStale', k), limit));
  }

  /** Shoppers whose requests Kafka did not acknowledge join the retry set; how many did. */
  async requeueFailed(k: EventKeys, shoppers: readonly AdmittedShopper[]): Promise<number> {
    const pairs = shoppers.flatMap((s) => [s.userId, String(s.ticket)]);
    return Number(await this.redis.rcRequeueFailed(...keysOf('requeueFailed', k), ...pairs));
  }

  async recordResult(k: EventKeys, a: RecordResultArgs): Promise<RecordResultReply> {
    const [reply] = await this.recordResults([{ keys: k, args: a }], 1);
    return reply!;
  }

  /**
   * Many results in one round trip: one script call per event (and retention) and chunk
   * of at most `chunk` results, every call in one pipeline. Replies come in the order of
   * `calls`; a Redis error fails them all.
   */
  async recordResults(
    calls: readonly { keys: EventKeys; args: RecordResultArgs }[],
    chunk: number,
  ): Promise<RecordResultReply[]> {
    if (!(chunk >= 1))
      throw new RangeError(`recordResults: chunk must be at least 1, got ${chunk}`);
    const pipeline = this.redis.pipeline();
    const parts = chunksByEvent(calls, chunk);
    for (const part of parts) {
      const first = calls[part[0]!]!;
      pipeline.rcRecordResults(
        ...keysOf('recordResults', first.keys),
        first.args.retentionSeconds,
        ...part.flatMap((i) => recordResultArgs(calls[i]!.args)),
      );
    }
    const replies = await execAll(pipeline, (reply: number[]) => reply.map(parseRecordResult));
    const out = new Array<RecordResultReply>(calls.length);
    parts.forEach((part, p) => part.forEach((i, j) => (out[i] = replies[p]![j]!)));
    return out;
  }

  /**
   * Coupon lifecycle events applied in one round trip (pipelined), one script call each,
   * in order. Replies come in the order of `calls`; a Redis error fails them all.
   */
  async applyCouponEvents(
    calls: readonly { keys: EventKeys; args: ApplyCouponEventArgs }[],
  ): Promise<ApplyCouponEventReply[]> {
    const pipeline = this.redis.pipeline();
    for (const { keys, args: a } of calls)
      pipeline.rcApplyCouponEvent(
        ...keysOf('applyCouponEvent', keys),
        a.field,
        a.userId,
        String(a.sequence),
        a.state,
        a.at,
        a.uid,
        a.retentionSeconds,
      );
    return execAll(pipeline, parseApplyCouponEvent);
  }

  async stats(k: EventKeys): Promise<StatsReply> {
    return parseStats(await this.redis.rcStats(...keysOf('stats', k)));
  }

  /**
   * Retires a sale: deletes its live keys, keeps its outcomes readable for the retention,
   * leaves a tombstone; how many data keys existed (0 when another sale owns them).
   */
  async retire(k: EventKeys, a: RetireArgs): Promise<number> {
    return Number(await this.redis.rcRetire(...keysOf('retire', k), a.uid, a.retentionSeconds));
  }
}

function enqueueCall(k: EventKeys, a: EnqueueArgs): Arg[] {
  return [
    ...keysOf('enqueue', k),
    a.userId,
    a.stock,
    a.perUserLimit,
    a.maxQueueLength,
    a.preQueueTicket,
    a.uid,
  ];
}

/** One result's share of a recordResults call's ARGV (its header documents the order). */
function recordResultArgs(a: RecordResultArgs): Arg[] {
  return [a.userId, String(a.ticket), a.outcome, a.resultJson, a.stock, a.remaining, a.uid];
}

/**
 * The indexes of `calls` grouped by event and retention (what one script call shares),
 * each group in order and cut into chunks of at most `chunk`.
 */
function chunksByEvent(
  calls: readonly { keys: EventKeys; args: RecordResultArgs }[],
  chunk: number,
): number[][] {
  const groups = new Map<string, number[]>();
  calls.forEach(({ keys, args }, i) => {
    const id = `${keys.results}\n${args.retentionSeconds}`;
    const group = groups.get(id);
    if (group) group.push(i);
    else groups.set(id, [i]);
  });
  const parts: number[][] = [];
  for (const group of groups.values())
    for (let start = 0; start < group.length; start += chunk)
      parts.push(group.slice(start, start + chunk));
  return parts;
}

async function execAll<T>(
  pipeline: ReturnType<Redis['pipeline']>,
  parse: (reply: never) => T,
): Promise<T[]> {
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, value]) => {
    if (error) throw error;
    return parse(value as never);
  });
}
