import { powSolutionKey, type EventKeys } from '@rediclaim/core';
import type { ChainableCommander, Result } from 'ioredis';
import { isCluster, type RedisClient } from './client.js';
import { scriptSource } from './lua-source.js';
import { ReplicaBarrier, hashTagOf } from './replica-barrier.js';
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
  // KEYS[1] is one challenge's key under the powSolutions prefix (spendPow builds it).
  spendPow: ['powSolutions', 'powJoins', 'powSpike'],
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
    rcSpendPow(...args: Arg[]): Result<number[], Context>;
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

export interface SpendPowArgs {
  /** The challenge's HMAC signature (hex): one spent mark per challenge. */
  signature: string;
  ttlMs: number;
  /** Solved joins in one second that start a spike; 0: no spike rule. */
  threshold: number;
  holdMs: number;
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

export interface GateScriptsOptions {
  /**
   * Redis Cluster only: how long the writes shoppers' outcomes depend on (joins, results,
   * coupon events) wait for a replica (ReplicaBarrier); 0 or unset: not at all.
   */
  replicaWaitMs?: number;
  /** A write a replica did not confirm within replicaWaitMs. */
  onUnreplicated?: () => void;
}

/**
 * Every call of the gate's Lua scripts goes through here (as BullMQ's Scripts class owns
 * its scripts): one method per script, taking an event's keys and named arguments and
 * returning a typed reply. The scripts are registered on the connection with ioredis'
 * defineCommand, which calls them by SHA (EVALSHA) and loads them on NOSCRIPT.
 *
 * On a Redis Cluster every script call touches one event's keys (one hash tag, one
 * slot), and the pipelined methods send one pipeline per event, concurrently: Cluster
 * refuses a pipeline across slots.
 */
export class GateScripts {
  private readonly barrier: ReplicaBarrier | undefined;

  constructor(
    readonly redis: RedisClient,
    options: GateScriptsOptions = {},
  ) {
    this.barrier =
      isCluster(redis) && (options.replicaWaitMs ?? 0) > 0
        ? new ReplicaBarrier(redis, options.replicaWaitMs!, options.onUnreplicated)
        : undefined;
    const marked = redis as RedisClient & { __rcGateScripts?: boolean };
    if (marked.__rcGateScripts) return;
    for (const name of Object.keys(scriptKeys) as ScriptName[]) {
      redis.defineCommand(commandName(name), {
        numberOfKeys: scriptKeys[name].length,
        lua: scriptSource(name),
      });
    }
    marked.__rcGateScripts = true;
  }

  /** A join, answered once a replica holds it on a Cluster (REDIS_CLUSTER_REPLICA_WAIT_MS). */
  async enqueue(k: EventKeys, a: EnqueueArgs): Promise<EnqueueReply> {
    const reply = parseEnqueue(await this.redis.rcEnqueue(...enqueueCall(k, a)));
    await this.barrier?.after(k.queue);
    return reply;
  }

  /** Many joins in one round trip (pipelined): tests and tools fill queues this way. */
  async enqueueMany(calls: { keys: EventKeys; args: EnqueueArgs }[]): Promise<EnqueueReply[]> {
    return this.pipelined(
      calls,
      (c) => c.keys.queue,
      (pipeline, c) => pipeline.rcEnqueue(...enqueueCall(c.keys, c.args)),
      parseEnqueue,
    );
  }

  async status(k: EventKeys, a: StatusArgs): Promise<StatusReply> {
    return parseStatus(await this.redis.rcStatus(...keysOf('status', k), a.userId, a.stock, a.uid));
  }

  /**
   * Admits the next shoppers; on a Cluster, returns once a replica holds the admission,
   * so that a request sent to Kafka is never one a failover forgets was sent.
   */
  async admit(k: EventKeys, a: AdmitArgs): Promise<AdmitReply | StaleReply> {
    const reply = parseAdmit(
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
    if (reply.kind !== 'STALE' && reply.shoppers.length > 0) await this.barrier?.after(k.queue);
    return reply;
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
    const parts = chunksByEvent(calls, chunk);
    const replies = await this.pipelined(
      parts,
      (part) => calls[part[0]!]!.keys.results,
      (pipeline, part) => {
        const first = calls[part[0]!]!;
        pipeline.rcRecordResults(
          ...keysOf('recordResults', first.keys),
          first.args.retentionSeconds,
          ...part.flatMap((i) => recordResultArgs(calls[i]!.args)),
        );
      },
      (reply: number[]) => reply.map(parseRecordResult),
    );
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
    return this.pipelined(
      calls,
      (c) => c.keys.redemptions,
      (pipeline, { keys, args: a }) =>
        pipeline.rcApplyCouponEvent(
          ...keysOf('applyCouponEvent', keys),
          a.field,
          a.userId,
          String(a.sequence),
          a.state,
          a.at,
          a.uid,
          a.retentionSeconds,
        ),
      parseApplyCouponEvent,
    );
  }

  /**
   * One command per call, pipelined: in one pipeline on a single Redis; on a Cluster in
   * one pipeline per hash tag (so per slot), those sent at once, each waited on by the
   * replica barrier. Replies in the order of `calls` (within a tag, commands keep their
   * order); a Redis error fails them all (what did run is idempotent, and run again).
   */
  private async pipelined<C, T>(
    calls: readonly C[],
    keyOf: (call: C) => string,
    add: (pipeline: ChainableCommander, call: C) => unknown,
    parse: (reply: never) => T,
  ): Promise<T[]> {
    if (!this.redis.isCluster) {
      const pipeline = this.redis.pipeline();
      for (const call of calls) add(pipeline, call);
      return execAll(pipeline, parse);
    }
    const groups = new Map<string, { key: string; indexes: number[] }>();
    calls.forEach((call, i) => {
      const key = keyOf(call);
      const tag = hashTagOf(key);
      const group = groups.get(tag);
      if (group) group.indexes.push(i);
      else groups.set(tag, { key, indexes: [i] });
    });
    const out = new Array<T>(calls.length);
    await Promise.all(
      [...groups.values()].map(async ({ key, indexes }) => {
        const pipeline = this.redis.pipeline();
        for (const i of indexes) add(pipeline, calls[i]!);
        const replies = await execAll(pipeline, parse);
        await this.barrier?.after(key);
        indexes.forEach((i, j) => (out[i] = replies[j]!));
      }),
    );
    return out;
  }

  /**
   * Spends one verified proof-of-work solution (the challenge's signature) and counts it
   * towards the spike threshold: spent false when it was spent before (a replay).
   */
  async spendPow(k: EventKeys, a: SpendPowArgs): Promise<{ spent: boolean; spiking: boolean }> {
    const [spent, spiking] = await this.redis.rcSpendPow(
      powSolutionKey(k, a.signature),
      k.powJoins,
      k.powSpike,
      a.ttlMs,
      a.threshold,
      a.holdMs,
    );
    return { spent: spent === 1, spiking: spiking === 1 };
  }

  /** Whether the event's join spike lasts (spendPow started it). */
  async powSpiking(k: EventKeys): Promise<boolean> {
    return (await this.redis.exists(k.powSpike)) === 1;
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

async function execAll<T>(pipeline: ChainableCommander, parse: (reply: never) => T): Promise<T[]> {
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, value]) => {
    if (error) throw error;
    return parse(value as never);
  });
}
