#!/usr/bin/env node
// Reads settings, wires the operator to the process, listens, and shuts down gracefully.
import * as k8s from '@kubernetes/client-node';
import { pino } from 'pino';
import { isRediclaimError, logOptions, logProcessEvents } from '@rediclaim/core';
import { buildApp } from './app.js';
import { createLogger } from './logger.js';
import { Operator } from './operator.js';
import { loadSettings, type Settings } from './settings.js';

let settings: Settings;
try {
  settings = loadSettings(process.env);
} catch (error) {
  // The log format already, on stderr, written before the exit.
  const early = pino(logOptions('operator', 'info'), pino.destination({ dest: 2, sync: true }));
  if (!isRediclaimError(error)) {
    early.fatal({ err: error }, 'cannot read the settings');
    process.exit(1);
  }
  early.fatal({ code: error.code }, error.message);
  process.exit(2);
}

const logger = createLogger(settings.LOG_LEVEL, settings.POD_NAME);
// Before any await: Node's own warnings and crash reports become JSON records too.
logProcessEvents(process, logger);

// KUBECONFIG when set, else the in-cluster service account, else ~/.kube/config.
const kubeConfig = new k8s.KubeConfig();
kubeConfig.loadFromDefault();

const operator = new Operator({ settings, kubeConfig, logger });
const app = buildApp({
  registry: operator.metrics.registry,
  health: () => operator.health(),
  ready: () => operator.ready,
});
await app.listen({ port: settings.OPERATOR_ADMIN_PORT, host: settings.OPERATOR_ADMIN_HOST });
logger.info(
  {
    port: settings.OPERATOR_ADMIN_PORT,
    namespaces: settings.WATCH_NAMESPACES.length ? settings.WATCH_NAMESPACES : 'all',
    platformNamespace: settings.PLATFORM_NAMESPACE,
  },
  'operator started',
);
operator.start();

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'shutting down: stop acting, release the lease');
  // A hung API server must not keep the pod past its grace period.
  setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(1);
  }, 15_000).unref();
  await operator.stop();
  await app.close();
  logger.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
