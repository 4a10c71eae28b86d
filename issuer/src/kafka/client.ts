import { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkaClientConfig } from '@rediclaim/core';

/**
 * The issuer's Kafka client: core's configuration (timeouts, log routing), with patient
 * retries: a batch the issuer holds is worth waiting for, and what it could not recover
 * from it logs itself.
 */
export function createKafka(clientId: string, brokers: string[], logger: Logger): Kafka {
  return new Kafka(
    kafkaClientConfig({
      clientId,
      brokers,
      logger,
      retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
    }),
  );
}
