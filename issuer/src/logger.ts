import { pino, type Logger } from 'pino';
import { logOptions } from '@rediclaim/core';

/** The issuer's logger: the format every rediclaim service writes (core's logOptions). */
export function createLogger(level: string): Logger {
  return pino(logOptions('issuer', level));
}
