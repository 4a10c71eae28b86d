import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';

/**
 * The part of a key Redis Cluster hashes: the text between the first `{` and the next
 * `}` when not empty, else the whole key. Keys with the same tag are in one slot (every
 * key of an event shares its tag: core's eventKeys).
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

/** After a WAIT no replica answered, how long that master's writes do not wait again. */
export const UNREPLICATED_BACKOFF_MS = 5_000;

/**
 * Waits, on a Redis Cluster, until a replica holds the writes the gate made to a master
 * (WAIT 1), so that a master killed right after cannot take them with it: a join
 * answered, shoppers admitted before their requests go to Kafka, results recorded
 * before the Kafka offsets are committed. Replication is asynchronous; WAIT makes it
 * synchronous for the writes that need it, at the price of a round trip from the master
 * to its replica.
 *
 * WAIT covers every write its connection sent before it, and the gate has one
 * connection per master: so one WAIT serves every write made there before it was sent.
 * While one is on its way, later writers share the next one (at most one waiting behind
 * the running one per master): at most two WAITs per round trip to the replica, however
 * many writers (100 joins at once cost 47 in the integration test).
 *
 * A WAIT also holds up everything else on that connection until it returns. So when no
 * replica answers within `waitMs` (a master whose replica is gone, as after a failover
 * until the old master returns as a replica), the write goes on unreplicated
 * (`onUnreplicated` counts it), and that master's writes do not wait again for
 * UNREPLICATED_BACKOFF_MS: a sale must not stop, nor every command to that master crawl,
 * for want of a replica.
 */
export class ReplicaBarrier {
  private readonly chains = new Map<string, { running: Promise<void>; queued?: Promise<void> }>();
  private readonly unreplicatedUntil = new Map<string, number>();

  constructor(
    private readonly cluster: Cluster,
    private readonly waitMs: number,
    private readonly onUnreplicated: () => void = () => undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Resolves once a replica of `key`'s master holds every write sent there before the call. */
  after(key: string): Promise<void> {
    const slot = calculateSlot(key);
    // The master as the client knows it; the slot until the slots are known.
    const node = this.cluster.slots[slot]?.[0] ?? `slot ${slot}`;
    if ((this.unreplicatedUntil.get(node) ?? 0) > this.clock()) {
      this.onUnreplicated();
      return Promise.resolve();
    }
    const chain = this.chains.get(node);
    if (!chain) return this.run(node, key);
    const next = () => this.run(node, key);
    return (chain.queued ??= chain.running.then(next, next));
  }

  private run(node: string, key: string): Promise<void> {
    const running = this.waitOnce(node, key).finally(() => {
      if (this.chains.get(node)?.running === running) this.chains.delete(node);
    });
    this.chains.set(node, { running });
    return running;
  }

  private async waitOnce(node: string, key: string): Promise<void> {
    // A keyed read takes the WAIT to the key's master (a keyless command goes anywhere).
    const replies = (await this.cluster.pipeline().exists(key).wait(1, this.waitMs).exec()) ?? [];
    for (const [error] of replies) if (error) throw error;
    if (Number(replies[1]?.[1] ?? 0) >= 1) return;
    this.unreplicatedUntil.set(node, this.clock() + UNREPLICATED_BACKOFF_MS);
    this.onUnreplicated();
  }
}
