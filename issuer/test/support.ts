import net from 'node:net';
import { Writable } from 'node:stream';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { pino, type Logger } from 'pino';
import mysql from 'mysql2/promise';
import {
  encodeMessage,
  issueResultSchema,
  messageKeyOf,
  requestIdOf,
  type DeadLetter,
  type IssuePolicy,
  type IssueRequest,
  type IssueResult,
} from '@rediclaim/core';
import {
  createTestDatabase,
  createTestTopics,
  stackEnv,
  startService,
  uniqueName,
  type ServiceProcess,
  type TestDatabase,
} from '@rediclaim/hack/testing';
import { createLogger, Issuer, loadSettings, type IssuerSettings } from '@rediclaim/issuer';

export const SECRET = 'test-secret-of-at-least-16-chars';

export function policy(overrides: Partial<IssuePolicy> = {}): IssuePolicy {
  return {
    stock: 10,
    perUserLimit: 1,
    validity: { validForHours: 24 },
    discount: { type: 'percent', percent: 10 },
    code: { prefix: 'T-', length: 10 },
    generation: 1,
    ...overrides,
  };
}

export function request(
  tenant: string,
  eventId: string,
  userId: string,
  ticket: number,
  p: IssuePolicy,
): IssueRequest {
  return {
    type: 'IssueRequest',
    version: 1,
    requestId: requestIdOf(tenant, eventId, userId, ticket),
    tenant,
    eventId,
    userId,
    ticket,
    admittedAt: new Date().toISOString(),
    policy: p,
  };
}

/** Requests for users u0..u{n-1} with tickets 1..n (or from `firstTicket`). */
export function crowd(
  tenant: string,
  eventId: string,
  n: number,
  p: IssuePolicy,
  firstTicket = 1,
): IssueRequest[] {
  return Array.from({ length: n }, (_, i) => request(tenant, eventId, `u${i}`, firstTicket + i, p));
}

export interface Scenario {
  tenant: string;
  eventId: string;
  db: TestDatabase;
  topics: { issueRequests: string; issueResults: string; deadLetters: string };
  kafka: Kafka;
  brokers: string[];
  groupId: string;
}

/** A database and three topics of the suite's own on the shared test stack. */
export async function scenario(
  prefix: string,
  partitions = 4,
  brokers = stackEnv().kafkaBrokers,
  db?: TestDatabase,
): Promise<Scenario> {
  const name = uniqueName(prefix);
  const topics = {
    issueRequests: `${name}.requests`,
    issueResults: `${name}.results`,
    deadLetters: `${name}.dead`,
  };
  const kafka = new Kafka({ clientId: name, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.values(topics).map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: 1,
      })),
    });
  } finally {
    await admin.disconnect();
  }
  return {
    tenant: 'shop',
    eventId: name,
    db: db ?? (await createTestDatabase('issuer')),
    topics,
    kafka,
    brokers,
    groupId: `${name}-issuer`,
  };
}

export { createTestTopics };

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
    KAFKA_BROKERS: s.brokers.join(','),
    KAFKA_GROUP_ID: s.groupId,
    TOPIC_ISSUE_REQUESTS: s.topics.issueRequests,
    TOPIC_ISSUE_RESULTS: s.topics.issueResults,
    TOPIC_DEAD_LETTERS: s.topics.deadLetters,
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

/** A pino logger whose JSON lines a test can read back. */
export function capturingLogger(): { logger: Logger; lines(): Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    logger: pino({ level: 'info' }, stream),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

let producers = new Map<Scenario, Producer>();

export async function produce(
  s: Scenario,
  messages: (IssueRequest | { key?: string | null; value: Buffer | string | null })[],
): Promise<void> {
  let producer = producers.get(s);
  if (!producer) {
    producer = s.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    producers.set(s, producer);
  }
  for (let i = 0; i < messages.length; i += 5_000) {
    await producer.send({
      topic: s.topics.issueRequests,
      acks: -1,
      messages: messages
        .slice(i, i + 5_000)
        .map((m) =>
          'type' in m
            ? { key: messageKeyOf(m.tenant, m.eventId, m.userId), value: encodeMessage(m) }
            : { key: m.key ?? null, value: m.value },
        ),
    });
  }
}

/** Reads a topic from the beginning in the background; `until` waits for a condition. */
export class TopicReader<T> {
  readonly items: T[] = [];
  private consumer?: Consumer;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly s: Scenario,
    private readonly topic: string,
    private readonly parse: (value: Buffer) => T,
  ) {}

  async start(): Promise<this> {
    this.consumer = this.s.kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) if (m.value) this.items.push(this.parse(m.value));
        for (const wake of this.waiters) wake();
      },
    });
    return this;
  }

  async until(
    condition: (items: T[]) => boolean,
    timeoutMs = 30_000,
    what = 'condition',
  ): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this.items)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs}ms waiting for ${what} (${this.items.length} items read)`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiters = [];
    }
    return this.items;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export function resultReader(s: Scenario): Promise<TopicReader<IssueResult>> {
  return new TopicReader(s, s.topics.issueResults, (v) =>
    issueResultSchema.parse(JSON.parse(v.toString('utf8'))),
  ).start();
}

export function deadLetterReader(s: Scenario): Promise<TopicReader<DeadLetter>> {
  return new TopicReader(
    s,
    s.topics.deadLetters,
    (v) => JSON.parse(v.toString('utf8')) as DeadLetter,
  ).start();
}

/** The distinct requestIds answered, each with its (identical) results. */
export function byRequest(results: readonly IssueResult[]): Map<string, IssueResult[]> {
  const map = new Map<string, IssueResult[]>();
  for (const r of results) {
    const list = map.get(r.requestId) ?? [];
    list.push(r);
    map.set(r.requestId, list);
  }
  return map;
}

/** What the database holds for an event: the invariants are checked against this. */
export async function ledgerOf(
  s: Scenario,
  eventId = s.eventId,
): Promise<{
  stock: number;
  issued: number;
  coupons: { user_id: string; seq: number; serial: number; code: string; ticket: number }[];
  decisions: { user_id: string; ticket: number; outcome: string; reason: string | null }[];
}> {
  const conn = await mysql.createConnection({
    host: s.db.host,
    port: s.db.port,
    user: s.db.user,
    password: s.db.password,
    database: s.db.name,
    supportBigNumbers: true,
  });
  try {
    const [events] = await conn.query<mysql.RowDataPacket[]>(
      'SELECT id, stock, issued FROM coupon_events WHERE tenant = ? AND event_id = ?',
      [s.tenant, eventId],
    );
    const event = events[0];
    if (!event) return { stock: 0, issued: 0, coupons: [], decisions: [] };
    const [coupons] = await conn.query<mysql.RowDataPacket[]>(
      'SELECT user_id, seq, serial, code, ticket FROM issued_coupons WHERE event_id = ? ORDER BY serial',
      [event.id],
    );
    const [decisions] = await conn.query<mysql.RowDataPacket[]>(
      'SELECT user_id, ticket, outcome, reason FROM issue_decisions WHERE event_id = ?',
      [event.id],
    );
    return {
      stock: Number(event.stock),
      issued: Number(event.issued),
      coupons: coupons.map((c) => ({ ...c, ticket: Number(c.ticket) })) as never,
      decisions: decisions.map((d) => ({ ...d, ticket: Number(d.ticket) })) as never,
    };
  } finally {
    await conn.end();
  }
}

export async function closeScenario(s: Scenario, dropDatabase = true): Promise<void> {
  const producer = producers.get(s);
  if (producer) {
    await producer.disconnect();
    producers.delete(s);
  }
  if (dropDatabase) await s.db.drop().catch(() => undefined);
  producers = new Map([...producers]);
}

/** A TCP port free right now, for an issuer process's admin endpoints. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts an issuer process (issuer/dist/main.js: run `npx tsc -b issuer` first). */
export async function startIssuerProcess(
  s: Scenario,
  overrides: Record<string, string> = {},
): Promise<ServiceProcess & { port: number; metrics(): Promise<string> }> {
  const port = await freePort();
  const proc = await startService(
    'issuer',
    envFor(s, { ISSUER_ADMIN_PORT: String(port), LOG_LEVEL: 'info', ...overrides }),
    { readyUrl: `http://127.0.0.1:${port}/readyz`, timeoutMs: 60_000 },
  );
  return Object.assign(proc, {
    port,
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
  });
}

/** The value of a metric without labels in a Prometheus text page (NaN when absent). */
export function metricValue(page: string, name: string): number {
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(page)?.[1] ?? NaN);
}

/** Polls until `condition` holds. */
export async function eventually(
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
