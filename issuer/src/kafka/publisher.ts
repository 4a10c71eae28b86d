import type { Message, Producer } from 'kafkajs';
import { encodeMessage, type DeadLetter, type OutgoingRecord, type Topics } from '@rediclaim/core';

/**
 * Stays well below the broker's default message.max.bytes (1 MiB per record batch):
 * a batch's results may all land in one partition of the results topic.
 */
const MAX_BYTES_PER_SEND = 512 * 1024;
/**
 * kafkajs groups a send's messages by partition by copying the partition's list for
 * every message (quadratic): sends of a few hundred messages keep that negligible.
 */
const MAX_MESSAGES_PER_SEND = 250;
/** Sends in flight at once, across every batch being published. */
const SENDS_IN_FLIGHT = 4;

type Outgoing = { topic: string; messages: Message[]; bytes: number };

/**
 * Publishes results and dead letters, acknowledged by all in-sync replicas.
 *
 * kafkajs encodes a whole send synchronously, and when a transaction commits, a dozen
 * batches publish at once: without a limit that is hundreds of milliseconds in which
 * the event loop hears nothing else, the next transaction's database answers
 * included (and it holds its event's row meanwhile). So every batch's messages are
 * encoded and sent a few sends at a time, shared by all batches.
 */
export class Publisher {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly producer: Producer,
    private readonly topics: Topics,
  ) {}

  /** Result records (already encoded, see result-records.ts) and dead letters. */
  async publish(
    results: readonly OutgoingRecord[],
    deadLetters: readonly DeadLetter[],
  ): Promise<void> {
    const sends: Outgoing[] = [
      ...chunk(this.topics.issueResults, results),
      ...chunk(
        this.topics.deadLetters,
        deadLetters.map((d) => ({ key: d.source.key, value: encodeMessage(d) })),
      ),
    ];
    // Every send finishes before a failure is reported, so a retry never overlaps
    // sends still in flight.
    const settled = await Promise.allSettled(sends.map((s) => this.send(s)));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  private async send({ topic, messages }: Outgoing): Promise<void> {
    await this.acquire();
    try {
      await this.producer.send({ topic, messages, acks: -1 });
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.inFlight < SENDS_IN_FLIGHT) {
      this.inFlight += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next)
      setImmediate(next); // the slot passes on, after a turn of the event loop
    else this.inFlight -= 1;
  }
}

/** Splits records into sends bounded by count and bytes. */
function chunk(
  topic: string,
  records: readonly { key: string | null; value: Buffer; headers?: Record<string, string> }[],
): Outgoing[] {
  const out: Outgoing[] = [];
  let current: Outgoing = { topic, messages: [], bytes: 0 };
  for (const record of records) {
    // 64 for the record's framing, and a traceparent header's 66 when it has one.
    const size = record.value.length + (record.key?.length ?? 0) + (record.headers ? 130 : 64);
    if (
      current.messages.length > 0 &&
      (current.bytes + size > MAX_BYTES_PER_SEND ||
        current.messages.length >= MAX_MESSAGES_PER_SEND)
    ) {
      out.push(current);
      current = { topic, messages: [], bytes: 0 };
    }
    current.messages.push(
      record.headers
        ? { key: record.key, value: record.value, headers: record.headers }
        : { key: record.key, value: record.value },
    );
    current.bytes += size;
  }
  if (current.messages.length > 0) out.push(current);
  return out;
}
