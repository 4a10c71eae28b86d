import { randomUUID } from 'node:crypto';
import type { Result } from 'ioredis';
import type { RedisClient } from '../redis/client.js';
import { scriptSource } from '../redis/lua-source.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rcClaimStreamSlot(...args: (string | number)[]): Result<number, Context>;
  }
}

/** A push stream counted against its client; released once, when the stream closes. */
export interface StreamSlot {
  release(): void;
}

/**
 * How many push streams one client (an address, clientKeyOf) holds at most. A gate bounds
 * its own streams (GATE_PUSH_MAX_STREAMS); without this, one address could take them all
 * and leave the crowd polling.
 */
export interface ClientStreamSlots {
  /** A slot for one more stream of this client, or undefined: it holds its most. */
  claim(client: string): Promise<StreamSlot | undefined>;
  /** Stops renewing (the gate is closing; its streams end with it). */
  close(): void;
}

/** Counted in this process (RATE_LIMIT_STORE=memory): a client's budget per replica. */
export class LocalStreamSlots implements ClientStreamSlots {
  private readonly held = new Map<string, number>();

  constructor(private readonly max: number) {}

  async claim(client: string): Promise<StreamSlot | undefined> {
    const count = this.held.get(client) ?? 0;
    if (count >= this.max) return undefined;
    this.held.set(client, count + 1);
    return once(() => {
      const left = (this.held.get(client) ?? 1) - 1;
      if (left > 0) this.held.set(client, left);
      else this.held.delete(client);
    });
  }

  close(): void {}
}

export interface RedisStreamSlotsOptions {
  max: number;
  /** Prefix of the slots' keys (RATE_LIMIT_NAMESPACE). */
  namespace: string;
  /** How long a slot counts without being renewed: a dead gate's streams stop counting then. */
  leaseMs: number;
  clock?: () => number;
}

/**
 * Counted in Redis (RATE_LIMIT_STORE=redis): every replica's streams of a client together,
 * so a client cannot multiply its budget by the replicas. Each slot is a lease
 * (claimStreamSlot.lua), renewed by this gate every third of its length while the stream
 * lives. A renewal never recreates a slot that is gone (ZADD XX): after a Redis failover
 * that lost them, the streams already open go uncounted until they close, rather than
 * counted twice.
 */
export class RedisStreamSlots implements ClientStreamSlots {
  /** This process's slots: key -> slot ids. */
  private readonly held = new Map<string, Set<string>>();
  private readonly owner = randomUUID().slice(0, 8);
  private sequence = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly clock: () => number;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RedisStreamSlotsOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    redis.defineCommand('rcClaimStreamSlot', {
      numberOfKeys: 1,
      lua: scriptSource('claimStreamSlot'),
    });
    this.timer = setInterval(() => void this.renew(), options.leaseMs / 3);
    this.timer.unref();
  }

  async claim(client: string): Promise<StreamSlot | undefined> {
    const key = `${this.options.namespace}streams:${client}`;
    const id = `${this.owner}:${++this.sequence}`;
    const { leaseMs, max } = this.options;
    const claimed = await this.redis.rcClaimStreamSlot(key, this.clock(), id, leaseMs, max);
    if (claimed !== 1) return undefined;
    const ids = this.held.get(key) ?? new Set<string>();
    ids.add(id);
    this.held.set(key, ids);
    return once(() => {
      ids.delete(id);
      if (ids.size === 0) this.held.delete(key);
      // A release Redis missed leaves the slot to its lease.
      this.redis.zrem(key, id).catch(() => undefined);
    });
  }

  /** Every held slot's lease from now; one command per client (a Cluster key each). */
  async renew(): Promise<void> {
    const until = this.clock() + this.options.leaseMs;
    await Promise.allSettled(
      [...this.held].map(([key, ids]) =>
        this.redis
          .zadd(key, 'XX', ...[...ids].flatMap((id) => [until, id]))
          .then(() => this.redis.pexpire(key, this.options.leaseMs)),
      ),
    );
  }

  close(): void {
    clearInterval(this.timer);
  }
}

function once(release: () => void): StreamSlot {
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      release();
    },
  };
}
