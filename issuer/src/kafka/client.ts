import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';

/**
 * A kafkajs client whose logs go through pino. kafkajs reports retriable trouble it
 * handles itself ("the group coordinator is not available") at ERROR; those become
 * warnings here, since what the issuer could not recover from it logs itself.
 */
export function createKafka(clientId: string, brokers: string[], logger: Logger): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        if (level <= logLevel.WARN) log.warn(rest, message);
        else if (level === logLevel.INFO) log.info(rest, message);
        else log.debug(rest, message);
      },
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
  });
}
