import { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkaClientConfig, type KafkaSecurity } from '@rediclaim/core';

/**
 * How long kafkajs itself retries. patient (the consumer and the results producer): a
 * batch the issuer holds is worth waiting for, and what it could not recover from it
 * logs itself. short (the outbox relay, client id <id>-outbox): core's retries, so a send
 * fails within seconds when the broker is away. The relay's own loop is the patient one
 * (backoff, forever, from the oldest unmarked row); kafkajs' retries only ride out a
 * leader moving, and nested as the patient ones are (metadata inside send) they would
 * hold a failed send for most of a minute.
 */
export type KafkaRetries = 'patient' | 'short';

/** The issuer's Kafka clients: core's configuration (timeouts, log routing, security). */
export function createKafka(
  clientId: string,
  brokers: string[],
  logger: Logger,
  security?: KafkaSecurity,
  retries: KafkaRetries = 'patient',
): Kafka {
  return new Kafka(
    kafkaClientConfig({
      clientId: retries === 'short' ? `${clientId}-outbox` : clientId,
      brokers,
      logger,
      ...(security ? { security } : {}),
      ...(retries === 'patient'
        ? { retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 } }
        : {}),
    }),
  );
}
