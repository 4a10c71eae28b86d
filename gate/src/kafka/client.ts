import { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkaClientConfig, type KafkaSecurity, type LevelLogger } from '@rediclaim/core';
import { fixKafkajsIdleLoop } from './kafkajs-idle-fix.js';

/**
 * The gate's Kafka client: core's configuration (timeouts, log routing) with its default
 * retry, so a send that cannot succeed fails within seconds and its shoppers go back to
 * the queue promptly instead of waiting for their processing timeout. While `quiet()`
 * (Kafka known unreachable, a transition already logged once) kafkajs' own records are
 * debug: it reports every failed connection attempt, several a second.
 */
export function createKafka(options: {
  brokers: string[];
  clientId: string;
  logger: Logger;
  quiet?: () => boolean;
  security?: KafkaSecurity;
}): Kafka {
  const { logger, quiet } = options;
  if (!fixKafkajsIdleLoop()) logger.warn('could not apply the kafkajs idle-loop fix');
  return new Kafka(
    kafkaClientConfig({ ...options, logger: quiet ? quietWhile(logger, quiet) : logger }),
  );
}

function quietWhile(logger: Logger, quiet: () => boolean): LevelLogger {
  const at =
    (level: keyof LevelLogger) =>
    (fields: object, message?: string): void =>
      logger[quiet() ? 'debug' : level](fields, message);
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}
