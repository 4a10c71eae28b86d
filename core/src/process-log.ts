/**
 * What Node itself would print about a service's process, as log records of the service
 * in its JSON format: no plain-text line on stdout or stderr breaks a JSON log pipeline
 * reading the pod. Services call `logProcessEvents(process, logger)` in their main
 * module, before any await; core itself touches neither.
 *
 * Warnings (DeprecationWarning, MaxListenersExceededWarning, kafkajs'
 * TimeoutNegativeWarning...): Node prints them ("(node:123) Warning: ..." and "(Use `node
 * --trace-warnings ...`") through a 'warning' listener of its own, installed before the
 * entry module runs (unless NODE_NO_WARNINGS=1 or --no-warnings). Removing it is what
 * stops the plain text; a listener alone would not. Warnings emitted while the main
 * module's imports were evaluated are still delivered: Node emits them on a later tick.
 *
 * An uncaught exception or unhandled rejection: Node prints the stack and exits with 1;
 * here it is a fatal record, and the exit is the same.
 */

/** The part of `process` this needs. */
export interface ProcessEvents {
  removeAllListeners(event: 'warning'): unknown;
  on(event: 'warning', listener: (warning: Error) => void): unknown;
  on(
    event: 'uncaughtException' | 'unhandledRejection',
    listener: (error: unknown) => void,
  ): unknown;
  exit(code: number): never;
}

/** The part of a logger these go to (pino's, structurally). */
export interface ProcessLogger {
  warn(fields: object, message?: string): void;
  fatal(fields: object, message?: string): void;
}

export function logProcessEvents(proc: ProcessEvents, logger: ProcessLogger): void {
  proc.removeAllListeners('warning');
  proc.on('warning', (warning) => {
    // Named fields, not pino's error serializer: a MaxListenersExceededWarning holds the
    // whole emitter it is about (`target`), which does not belong in a log line.
    const { name, message, stack } = warning;
    const code = (warning as { code?: unknown }).code;
    logger.warn(
      {
        component: 'node',
        warning: { name, ...(typeof code === 'string' ? { code } : {}), stack },
      },
      `${name}: ${message}`,
    );
  });
  proc.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    proc.exit(1);
  });
  proc.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled rejection');
    proc.exit(1);
  });
}
