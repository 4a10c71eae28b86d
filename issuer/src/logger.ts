import { pino, type Logger } from 'pino';

/** pino JSON to stdout, one line per event, the service named on each. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'rediclaim-issuer' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
