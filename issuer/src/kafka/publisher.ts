import type { Message, Producer } from 'kafkajs';
import {
  encodeMessage,
  messageKeyOf,
  type DeadLetter,
  type IssueResult,
  type Topics,
} from '@rediclaim/core';

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

type Outgoing = { topic: string; items: (IssueResult | DeadLetter)[] };

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

  async publish(
    results: readonly IssueResult[],
    deadLetters: readonly DeadLetter[],
  ): Promise<void> {
    const sends: Outgoing[] = [
      ...chunk(this.topics.issueResults, results),
      ...chunk(this.topics.deadLetters, deadLetters),
    ];
    // Every send finishes before a failure is reported, so a retry never overlaps
    // sends still in flight.
    const settled = await Promise.allSettled(sends.map((s) => this.send(s)));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  private async send({ topic, items }: Outgoing): Promise<void> {
    await this.acquire();
    try {
      const messages: Message[] = items.map((item) =>
        item.type === 'IssueResult'
          ? {
              key: messageKeyOf(item.tenant, item.eventId, item.userId),
              value: encodeMessage(item),
            }
          : { key: item.source.key, value: encodeMessage(item) },
      );
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

/** Splits messages into sends bounded by count and (estimated) bytes. */
function chunk(topic: string, items: readonly (IssueResult | DeadLetter)[]): Outgoing[] {
  const out: Outgoing[] = [];
  let current: Outgoing = { topic, items: [] };
  let bytes = 0;
  for (const item of items) {
    // A result is about 500 bytes; a dead letter carries its original payload.
    const size = item.type === 'DeadLetter' ? item.payload.length + 512 : 600;
    if (
      current.items.length > 0 &&
      (bytes + size > MAX_BYTES_PER_SEND || current.items.length >= MAX_MESSAGES_PER_SEND)
    ) {
      out.push(current);
      current = { topic, items: [] };
      bytes = 0;
    }
    current.items.push(item);
    bytes += size;
  }
  if (current.items.length > 0) out.push(current);
  return out;
}
