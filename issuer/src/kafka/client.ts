import { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkaClientConfig, type KafkaSecurity } from '@rediclaim/core';

/**
 * The issuer's Kafka client: core's configuration (timeouts, log routing), with patient
 * retries: a batch the issuer holds is worth waiting for, and what it could not recover
 * from it logs itself.
 */
export function createKafka(
  clientId: string,
  brokers: string[],
  logger: Logger,
  security?: KafkaSecurity,
): Kafka {
  return new Kafka(
    kafkaClientConfig({
      clientId,
      brokers,
      logger,
      ...(security ? { security } : {}),
      retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
    }),
  );
}

/**
 * The outbox relay's client: core's short retries, so a send fails within seconds when
 * the broker is away. The relay's own loop is the patient one (backoff, forever, from
 * the oldest unmarked row); kafkajs' retries only ride out a leader moving, and nested
 * as the issuer's patient ones are (metadata inside send) they would hold a failed
 * send for most of a minute.
 */
export function createRelayKafka(
  clientId: string,
  brokers: string[],
  logger: Logger,
  security?: KafkaSecurity,
): Kafka {
  return new Kafka(
    kafkaClientConfig({
      clientId: `${clientId}-outbox`,
      brokers,
      logger,
      ...(security ? { security } : {}),
    }),
  );
}
