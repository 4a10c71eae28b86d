/** One Kafka batch handed off for processing. */
export interface TrackedBatch {
  topic: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
  messages: number;
}

export interface OffsetTrackerOptions {
  /** Messages handed off but not yet settled, at most (the handler waits for room). */
  maxInFlightMessages: number;
  /** Commits `offset` (the next offset to read) for the partition. */
  commit(topic: string, partition: number, offset: string): Promise<void>;
  /** Makes the consumer read the partition again from `offset` (kafkajs seek). */
  rewind(topic: string, partition: number, offset: string): void;
  /** A commit failed (usually a rebalance): logged, the batches come again. */
  commitFailed?(topic: string, partition: number, offset: string, error: unknown): void;
}

interface Entry {
  batch: TrackedBatch;
  done: boolean;
}

interface PartitionQueue {
  topic: string;
  partition: number;
  entries: Entry[];
  target?: bigint;
  committed?: bigint;
  committing?: Promise<void>;
}

/**
 * Lets the consumer fetch the next batches while earlier ones are still being decided
 * and published, and commits each partition's offsets strictly in order: an offset is
 * committed only when every batch before it is settled. A batch that fails (only
 * when abandoned) is never committed: the partition is rewound to it, and it and every
 * later batch of that partition are read again (their decisions are read back, never
 * made twice). After a rebalance the queues start afresh: what was in flight settles
 * without committing, since the partitions were rewound to their committed offsets.
 */
export class OffsetTracker {
  private queues = new Map<string, PartitionQueue>();
  private inFlight = 0;
  private unsettled = 0;
  private waiters = new Set<() => void>();
  private closing = false;

  constructor(private readonly options: OffsetTrackerOptions) {}

  get inFlightMessages(): number {
    return this.inFlight;
  }

  hasRoom(): boolean {
    return this.inFlight < this.options.maxInFlightMessages;
  }

  /** True once there is room; false if `signal` aborted first. */
  async waitForRoom(signal?: AbortSignal): Promise<boolean> {
    while (!this.hasRoom()) {
      if (signal?.aborted) return false;
      await this.next(signal);
    }
    return !signal?.aborted;
  }

  /** Tracks a batch whose processing `work` resolves true when done, false when abandoned. */
  track(batch: TrackedBatch, work: Promise<boolean>): void {
    const key = `${batch.topic}\u0000${batch.partition}`;
    let queue = this.queues.get(key);
    if (!queue) {
      queue = { topic: batch.topic, partition: batch.partition, entries: [] };
      this.queues.set(key, queue);
    }
    const entry: Entry = { batch, done: false };
    queue.entries.push(entry);
    const owner = queue;
    this.inFlight += batch.messages;
    this.unsettled += 1;
    void work
      .catch(() => false)
      .then((done) => {
        this.inFlight -= batch.messages;
        this.unsettled -= 1;
        // A queue replaced by reset() no longer decides anything.
        if (this.queues.get(key) === owner) this.settle(owner, entry, done);
        this.wake();
      });
  }

  /** After a rebalance: forget the queues (in-flight work still counts until it settles). */
  reset(): void {
    this.queues = new Map();
  }

  /** Stops rewinding: during shutdown an abandoned batch is simply left uncommitted. */
  close(): void {
    this.closing = true;
  }

  /** Resolves when nothing is in flight and no commit is running, or when `signal` aborts. */
  async drained(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const committing = [...this.queues.values()].some((q) => q.committing);
      if (this.unsettled === 0 && !committing) return;
      if (signal?.aborted) return;
      await this.next(signal);
    }
  }

  private settle(queue: PartitionQueue, entry: Entry, done: boolean): void {
    if (!done) {
      const index = queue.entries.indexOf(entry);
      if (index >= 0) queue.entries.splice(index);
      if (!this.closing) {
        this.options.rewind(queue.topic, queue.partition, entry.batch.firstOffset);
      }
      return;
    }
    entry.done = true;
    let next: bigint | undefined;
    while (queue.entries[0]?.done) {
      next = BigInt(queue.entries.shift()!.batch.lastOffset) + 1n;
    }
    if (next === undefined) return;
    if (queue.target === undefined || next > queue.target) queue.target = next;
    queue.committing ??= this.flush(queue);
  }

  /** One commit at a time per partition, always of the newest settled offset. */
  private async flush(queue: PartitionQueue): Promise<void> {
    try {
      while (queue.target !== undefined && queue.target !== queue.committed) {
        const offset = queue.target;
        try {
          await this.options.commit(queue.topic, queue.partition, offset.toString());
          queue.committed = offset;
        } catch (error) {
          this.options.commitFailed?.(queue.topic, queue.partition, offset.toString(), error);
          return;
        }
      }
    } finally {
      queue.committing = undefined;
      this.wake();
    }
  }

  private next(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
