import type { Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { encodeMessage, type DeadLetter } from '@rediclaim/core';

/**
 * Sends a batch's dead letters (keyed like the records they came from) and logs each;
 * resolves once the broker has them all (acks all), so the batch's offsets may move on.
 */
export async function sendDeadLetters(
  producer: Producer,
  topic: string,
  dead: readonly DeadLetter[],
  logger: Pick<Logger, 'warn'>,
  what: string,
): Promise<void> {
  await producer.send({
    topic,
    acks: -1,
    messages: dead.map((d) => ({ key: d.source.key, value: encodeMessage(d) })),
  });
  for (const d of dead) {
    logger.warn({ reason: d.reason, source: d.source }, `invalid ${what} sent to dead letters`);
  }
}
