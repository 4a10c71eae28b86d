import type { Logger } from 'pino';
import { freePorts, startService, type ServiceProcess } from '@rediclaim/hack/testing';
import { createLogger, Issuer, loadSettings, type IssuerSettings } from '@rediclaim/issuer';
import { SECRET, SIGNING_KEYS } from './requests.js';
import type { Scenario } from './scenario.js';

export function settingsFor(s: Scenario, overrides: Record<string, string> = {}): IssuerSettings {
  return loadSettings(envFor(s, overrides));
}

/** The environment an issuer process of this scenario runs with. */
export function envFor(
  s: Scenario,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    MYSQL_URL: s.db.url,
    COUPON_CODE_SECRET: SECRET,
    REQUEST_SIGNING_KEYS: SIGNING_KEYS,
    KAFKA_BROKERS: s.brokers.join(','),
    KAFKA_GROUP_ID: s.groupId,
    TOPIC_ISSUE_REQUESTS: s.topics.issueRequests,
    TOPIC_ISSUE_RESULTS: s.topics.issueResults,
    TOPIC_DEAD_LETTERS: s.topics.deadLetters,
    TOPIC_COUPONS: s.topics.coupons,
    ISSUER_ADMIN_PORT: '0',
    ISSUER_RETRY_BASE_MS: '50',
    ISSUER_RETRY_MAX_MS: '1000',
    ISSUER_SHUTDOWN_TIMEOUT_MS: '5000',
    LOG_LEVEL: process.env.ISSUER_TEST_LOG_LEVEL ?? 'silent',
    ...overrides,
  };
}

/** An issuer in this test process: quicker than a child process where none is needed. */
export async function startIssuer(
  s: Scenario,
  overrides: Record<string, string> = {},
  logger?: Logger,
): Promise<Issuer> {
  const settings = settingsFor(s, overrides);
  const issuer = new Issuer({ settings, logger: logger ?? createLogger(settings.LOG_LEVEL) });
  await issuer.start();
  return issuer;
}

/**
 * Starts an issuer process (issuer/dist/main.js: run `npx tsc -b issuer` first), started
 * once ready (in its consumer group), or with `until: 'live'` once it serves (a group
 * with a member killed waits out that member's session before anyone joins).
 */
export async function startIssuerProcess(
  s: Scenario,
  overrides: Record<string, string> = {},
  options: { until?: 'ready' | 'live' } = {},
): Promise<ServiceProcess & { port: number; metrics(): Promise<string> }> {
  // Chosen here rather than by the process (port 0): the readiness URL is needed first.
  const port = (await freePorts(1))[0]!;
  const proc = await startService(
    'issuer',
    envFor(s, { ISSUER_ADMIN_PORT: String(port), LOG_LEVEL: 'info', ...overrides }),
    {
      readyUrl: `http://127.0.0.1:${port}/${options.until === 'live' ? 'healthz' : 'readyz'}`,
      timeoutMs: 60_000,
    },
  );
  return Object.assign(proc, {
    port,
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
  });
}
