#!/usr/bin/env node
// The issuer process: reads its settings, serves the admin endpoints, runs the
// consumer, and stops gracefully on SIGTERM/SIGINT. Everything else lives in service.ts.
import { pino } from 'pino';
import { isRediclaimError, logOptions, logProcessEvents } from '@rediclaim/core';
import { buildApp } from './http/app.js';
import { ApiKeys } from './http/api-keys.js';
import { buildRedemptionApp } from './http/redemption-api.js';
import { createLogger } from './logger.js';
import { Issuer } from './service.js';
import { loadSettings, type IssuerSettings } from './settings.js';

let settings: IssuerSettings;
try {
  settings = loadSettings(process.env);
} catch (error) {
  // The log format already, on stderr, written before the exit.
  const early = pino(logOptions('issuer', 'info'), pino.destination({ dest: 2, sync: true }));
  if (isRediclaimError(error)) early.fatal({ code: error.code }, error.message);
  else early.fatal({ err: error }, 'cannot read the settings');
  process.exit(2);
}

const logger = createLogger(settings.LOG_LEVEL);
// Before any await: Node's own warnings and crash reports become JSON records too.
logProcessEvents(process, logger);
let exitCode = 0;
const issuer = new Issuer({
  settings,
  logger,
  onFatal: () => {
    exitCode = 1;
    void shutdown('consumer crashed');
  },
});
const app = buildApp({ metrics: issuer.metrics, readiness: () => issuer.readiness() });
const api = settings.REDEMPTION_API_KEYS
  ? await buildRedemptionApp({
      keys: new ApiKeys(settings.REDEMPTION_API_KEYS),
      redemptions: () => issuer.redemptions(),
      logger,
    })
  : undefined;

let stopping: Promise<void> | undefined;
function shutdown(reason: string): Promise<void> {
  stopping ??= (async () => {
    logger.info({ reason }, 'shutting down');
    // A hung dependency must not keep a terminating pod alive past its grace period.
    const hard = setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, settings.ISSUER_SHUTDOWN_TIMEOUT_MS + 10_000);
    hard.unref();
    await api?.close();
    await issuer.stop();
    await app.close();
    logger.flush();
    process.exit(exitCode);
  })();
  return stopping;
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

try {
  await app.listen({ port: settings.ISSUER_ADMIN_PORT, host: settings.ISSUER_ADMIN_HOST });
  logger.info({ address: app.addresses()[0] }, 'admin endpoints listening');
} catch (error) {
  logger.fatal({ err: error }, 'cannot listen on the admin port');
  process.exit(1);
}
if (api) {
  try {
    await api.listen({ port: settings.ISSUER_API_PORT, host: settings.ISSUER_API_HOST });
    logger.info({ address: api.addresses()[0] }, 'redemption API listening');
  } catch (error) {
    logger.fatal({ err: error }, 'cannot listen on the redemption API port');
    process.exit(1);
  }
} else {
  logger.info('redemption API off: REDEMPTION_API_KEYS is not set');
}
void issuer.start().catch((error: unknown) => {
  logger.fatal({ err: error }, 'issuer failed to start');
  exitCode = 1;
  void shutdown('start failed');
});
