/**
 * The kafkajs client every service builds, as plain configuration: the same timeouts,
 * retries and log routing everywhere (services pass it to `new Kafka(...)`; core imports
 * no Kafka client). kafkajs logs through the service's logger, at the level
 * `kafkaLogLevel` gives a record: trouble kafkajs handles itself (a rebalance, a leader
 * or coordinator moving, a broker restarting) is debug; what it gives up on stays loud.
 */
import { kafkaLogLevel } from './kafka-log-level.js';
import type { KafkaSecurity } from './kafka-security.js';

export { kafkaLogLevel } from './kafka-log-level.js';

/** kafkajs' logLevel.WARN: it hands over its ERROR and WARN records only. */
const WARN = 2;

/** The part of a logger kafkajs' records go to (pino's, structurally). */
export interface LevelLogger {
  error(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  debug(fields: object, message?: string): void;
}

/** One kafkajs log record, as its logCreator receives it. */
interface KafkaLogEntry {
  level: number;
  log: { message?: string; error?: unknown; [field: string]: unknown };
}

export interface KafkaClientOptions {
  clientId: string;
  brokers: string[];
  logger: LevelLogger;
  /**
   * kafkajs' retry of one request. The default fails a send within seconds (the gate
   * then puts its shoppers back) rather than holding it for a minute.
   */
  retry?: { initialRetryTime: number; maxRetryTime: number; retries: number };
  /** TLS and SASL (kafkaSecurity): the same for every client of a service. */
  security?: KafkaSecurity;
}

export function kafkaClientConfig(options: KafkaClientOptions) {
  const { logger } = options;
  return {
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: WARN,
    logCreator: () => (entry: KafkaLogEntry) => {
      const { message, ...fields } = entry.log;
      logger[kafkaLogLevel(entry.level, entry.log)]({ component: 'kafkajs', ...fields }, message);
    },
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: options.retry ?? { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 },
    ...options.security,
  };
}
