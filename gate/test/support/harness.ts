import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import {
  eventConfigSchema,
  renderEventsConfig,
  signRecords,
  signingKeysSchema,
  type EventConfigInput,
  type OutgoingRecord,
} from '@rediclaim/core';
import { createTestTopics, stackEnv, uniqueName, waitFor } from '@rediclaim/hack/testing';
import { Gate, loadGateSettings, type GateSettings } from '@rediclaim/gate';
import { listenLocally, type Client } from './client.js';

export interface Topics {
  requests: string;
  results: string;
  deadLetters: string;
  /** The coupons topic, for suites that follow it; without it the gate does not. */
  coupons?: string;
}

/** Topics of their own for one suite (created, leaders elected). */
export async function suiteTopics(prefix: string, partitions = 3): Promise<Topics> {
  const topics = {
    requests: uniqueName(`${prefix}-req`),
    results: uniqueName(`${prefix}-res`),
    deadLetters: uniqueName(`${prefix}-dl`),
  };
  await createTestTopics([
    { topic: topics.requests, numPartitions: partitions },
    { topic: topics.results, numPartitions: partitions },
    { topic: topics.deadLetters, numPartitions: 1 },
  ]);
  return topics;
}

/** An events file a suite rewrites to change the config, as an operator would. */
export class EventsFile {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'rc-gate-'));
  readonly path = path.join(this.dir, 'events.yaml');

  constructor(events: EventConfigInput[] = []) {
    this.write(events);
  }

  write(events: EventConfigInput[]): void {
    const text = renderEventsConfig(events.map((e) => eventConfigSchema.parse(e)));
    // Atomic replace, like a Kubernetes volume update.
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.path);
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The key gates under test sign issue requests with (the simulated issuer checks it). */
export const TEST_SIGNING_KEYS = 'test=a-test-request-signing-secret-of-32-chars';
export const TEST_SIGNING_KEY = signingKeysSchema.parse(TEST_SIGNING_KEYS)[0]!;

/** Result records signed as an issuer signs them: the gates under test record only those. */
export const signedAsIssuer = (records: OutgoingRecord[]): OutgoingRecord[] =>
  signRecords(records, TEST_SIGNING_KEY);

/** The environment of a gate on the test stack (for in-process gates and spawned ones). */
export function gateEnv(
  topics: Topics,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env = stackEnv();
  return {
    REDIS_URL: env.redisUrl,
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    // Tests listen on loopback only, where the internal API may go without a token.
    GATE_HOST: '127.0.0.1',
    // Every test client is 127.0.0.1: joins, polls and streams are not limited unless a test asks,
    // and then counted under this environment's own namespace (its gates' fleet).
    RATE_LIMIT_NAMESPACE: `${uniqueName('rl')}:`,
    ENQUEUE_RATE_LIMIT_MAX: '0',
    POLL_RATE_LIMIT_MAX: '0',
    GATE_PUSH_MAX_STREAMS_PER_CLIENT: '0',
    TOPIC_ISSUE_REQUESTS: topics.requests,
    TOPIC_ISSUE_RESULTS: topics.results,
    TOPIC_DEAD_LETTERS: topics.deadLetters,
    TOPIC_PARTITIONS: '3',
    KAFKA_GROUP_ID: uniqueName('gate'),
    ...(topics.coupons
      ? { TOPIC_COUPONS: topics.coupons, GATE_COUPONS_GROUP_ID: uniqueName('gate-coupons') }
      : { GATE_COUPONS_ENABLED: 'false' }),
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    TICKET_SECRET: 'a-test-ticket-secret-of-at-least-32-chars',
    REQUEST_SIGNING_KEYS: TEST_SIGNING_KEYS,
    LOG_LEVEL: process.env.GATE_TEST_LOG_LEVEL ?? 'warn',
    ...extra,
  };
}

export interface InProcessGate {
  gate: Gate;
  settings: GateSettings;
  /** The public API and the admin API, on loopback ports of their own. */
  http: Client;
  admin: Client;
  stop(): Promise<void>;
}

/** A gate in this process, both servers listening on free loopback ports. */
export async function startGate(
  env: Record<string, string>,
  options: { clock?: () => number; background?: boolean } = {},
): Promise<InProcessGate> {
  const settings = loadGateSettings({ GATE_PORT: '1', GATE_ADMIN_PORT: '2', ...env });
  const gate = new Gate({
    settings,
    logger: pino({ level: settings.LOG_LEVEL, base: { service: 'gate-test' } }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.background !== undefined ? { background: options.background } : {}),
  });
  await gate.start({ listen: false });
  const http = await listenLocally(gate.app);
  const admin = await listenLocally(gate.adminApp);
  return { gate, settings, http, admin, stop: () => gate.stop() };
}

/** Waits until the gate applied a config where `check` holds. */
export async function waitForConfig(gate: Gate, check: (g: Gate) => boolean): Promise<void> {
  await waitFor('the gate to apply the events config', () => check(gate), 5_000, 20);
}
