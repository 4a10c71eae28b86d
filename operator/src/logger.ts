import { pino, type Logger } from 'pino';

/** pino JSON to stdout, one line per record, tagged with the service and the pod. */
export function createLogger(level: string, pod: string): Logger {
  return pino({
    level,
    base: { service: 'operator', pod },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
