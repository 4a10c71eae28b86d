import { pino, type Logger } from 'pino';
import { logOptions } from '@rediclaim/core';

/** The operator's logger: the format every rediclaim service writes, with the pod named. */
export function createLogger(level: string, pod: string): Logger {
  return pino(logOptions('operator', level, { pod }));
}
