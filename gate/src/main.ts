#!/usr/bin/env node
import { pino } from 'pino';
import { isRediclaimError, logOptions, logProcessEvents } from '@rediclaim/core';
import { loadGateSettings, type GateSettings } from './settings.js';

/** Reads the settings, starts the gate, and stops it gracefully on SIGTERM/SIGINT. */
let settings: GateSettings;
try {
  settings = loadGateSettings(process.env);
} catch (error) {
  // The log format already, on stderr, written before the exit.
  const early = pino(logOptions('gate', 'info'), pino.destination({ dest: 2, sync: true }));
  if (!isRediclaimError(error)) {
    early.fatal({ err: error }, 'cannot read the settings');
    process.exit(1);
  }
  early.fatal({ code: error.code }, error.message);
  process.exit(2);
}

const logger = pino(logOptions('gate', settings.LOG_LEVEL));
// Before any await: Node's own warnings and crash reports become JSON records too.
logProcessEvents(process, logger);
// Loaded after the settings are checked: a bad setting is reported at once.
const { Gate } = await import('./gate.js');
const gate = new Gate({ settings, logger });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  const timer = setTimeout(() => {
    logger.error({ timeoutMs: settings.SHUTDOWN_TIMEOUT_MS }, 'shutdown took too long; exiting');
    process.exit(1);
  }, settings.SHUTDOWN_TIMEOUT_MS);
  timer.unref();
  await gate.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

try {
  await gate.start();
} catch (error) {
  logger.fatal({ err: error }, 'gate failed to start');
  await gate.stop().catch(() => undefined);
  process.exit(1);
}
