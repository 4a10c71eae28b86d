import { Kafka, logLevel, type Admin, type logCreator } from 'kafkajs';
import type { Logger } from 'pino';
import { fixKafkajsIdleLoop } from './kafkajs-idle-fix.js';

/** kafkajs logs through pino, at warn and above (its info lines are per connection). */
function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...extra } = log;
      const child = { component: 'kafkajs', ...extra };
      // Rebalances are routine (a replica joins or leaves), though kafkajs says ERROR.
      const routine = /rebalancing|not the correct coordinator|coordinator is loading/i.test(
        String(extra.error ?? ''),
      );
      if (level === logLevel.ERROR && !routine) logger.error(child, message);
      else if (level <= logLevel.WARN) logger.warn(child, message);
      else logger.debug(child, message);
    };
}

export function createKafka(options: {
  brokers: string[];
  clientId: string;
  logger: Logger;
}): Kafka {
  if (!fixKafkajsIdleLoop()) options.logger.warn('could not apply the kafkajs idle-loop fix');
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(options.logger),
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    // A send that cannot succeed fails within seconds, so its shoppers go back to the
    // queue promptly instead of waiting for their processing timeout.
    retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 },
  });
}

/**
 * Creates the topics the gate uses when missing (every service does, so any start order
 * works). Leaders are awaited: producing to a topic whose leader is being elected fails
 * (kafkajs#1563).
 */
export async function ensureTopics(
  admin: Admin,
  topics: string[],
  numPartitions: number,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({ topic, numPartitions })),
  });
}
