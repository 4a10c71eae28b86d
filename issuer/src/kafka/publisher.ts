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
const MAX_MESSAGES_PER_SEND = 1_000;

/** Publishes results and dead letters, acknowledged by all in-sync replicas. */
export class Publisher {
  constructor(
    private readonly producer: Producer,
    private readonly topics: Topics,
  ) {}

  async publish(
    results: readonly IssueResult[],
    deadLetters: readonly DeadLetter[],
  ): Promise<void> {
    const sends: Promise<unknown>[] = [];
    const out = (topic: string, messages: Message[]) => {
      let chunk: Message[] = [];
      let bytes = 0;
      const flush = () => {
        if (chunk.length === 0) return;
        sends.push(this.producer.send({ topic, messages: chunk, acks: -1 }));
        chunk = [];
        bytes = 0;
      };
      for (const message of messages) {
        const size = (message.value as Buffer).length + 64;
        if (bytes + size > MAX_BYTES_PER_SEND || chunk.length >= MAX_MESSAGES_PER_SEND) flush();
        chunk.push(message);
        bytes += size;
      }
      flush();
    };
    out(
      this.topics.issueResults,
      results.map((r) => ({
        key: messageKeyOf(r.tenant, r.eventId, r.userId),
        value: encodeMessage(r),
      })),
    );
    out(
      this.topics.deadLetters,
      deadLetters.map((d) => ({ key: d.source.key, value: encodeMessage(d) })),
    );
    // allSettled first: every send finishes before a failure is reported, so a retry
    // never overlaps sends still in flight.
    const settled = await Promise.allSettled(sends);
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}
