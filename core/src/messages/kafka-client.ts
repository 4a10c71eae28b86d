/**
 * The kafkajs client every service builds, as plain configuration: the same timeouts,
 * retries and log routing everywhere (services pass it to `new Kafka(...)`; core imports
 * no Kafka client). kafkajs logs through the service's logger: it reports trouble it
 * handles itself (a rebalance, a coordinator moving) at ERROR, which becomes debug.
 */

/** kafkajs' numeric log levels (logLevel.ERROR, WARN, INFO, DEBUG). */
const ERROR = 1;
const WARN = 2;
const INFO = 4;

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

const ROUTINE =
  /rebalanc|not the correct coordinator|coordinator is (loading|not available)|group coordinator/i;

/** The level a kafkajs record deserves: routine group trouble is debug, not ERROR. */
export function kafkaLogLevel(level: number, error: unknown): keyof LevelLogger {
  if (level === ERROR) return ROUTINE.test(String(error ?? '')) ? 'debug' : 'error';
  if (level === WARN) return ROUTINE.test(String(error ?? '')) ? 'debug' : 'warn';
  if (level === INFO) return 'info';
  return 'debug';
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
}

export function kafkaClientConfig(options: KafkaClientOptions) {
  const { logger } = options;
  return {
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: WARN,
    logCreator: () => (entry: KafkaLogEntry) => {
      const { message, ...fields } = entry.log;
      logger[kafkaLogLevel(entry.level, fields.error)](
        { component: 'kafkajs', ...fields },
        message,
      );
    },
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: options.retry ?? { initialRetryTime: 100, maxRetryTime: 2_000, retries: 5 },
  };
}
