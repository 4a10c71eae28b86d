/**
 * How every rediclaim service logs: pino options, so that the gate, the issuer and the
 * operator write one format, one JSON object per line with `level` as a name ("info"),
 * `time` as ISO 8601 and the service (and pod) named on each record. Services call
 * `pino(logOptions('gate', level))`; core itself writes nothing.
 */
export interface LogOptions {
  level: string;
  base: Record<string, string>;
  timestamp: () => string;
  formatters: { level: (label: string) => { level: string } };
}

export function logOptions(
  service: 'gate' | 'issuer' | 'operator',
  level: string,
  fields: Record<string, string> = {},
): LogOptions {
  return {
    level,
    base: { service, ...fields },
    // pino's stdTimeFunctions.isoTime: pino asks for it when it writes a record.
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    formatters: { level: (label) => ({ level: label }) },
  };
}
