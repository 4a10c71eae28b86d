// One log story: a shopper's admission (gate), decision (issuer) and recorded result
// (gate) carry one W3C traceId through Kafka's record headers, and every line each
// service writes is JSON, Node's own process warnings included.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import {
  SIGNATURE_HEADER,
  TRACEPARENT_HEADER,
  decodeIssueRequests,
  decodeIssueResults,
  parseTraceparent,
} from '@rediclaim/core';
import { repoRoot, startE2E, testKafka, type E2E } from '@rediclaim/hack/testing';
import { gateKnows, join, saleSpec, statusOf, waitFor } from '../support/e2e.js';

const WARNINGS = `--import=${path.join(repoRoot, 'hack/test/support/emit-warnings.mjs')}`;
const shoppers = ['story-1', 'story-2', 'story-3', 'story-4', 'story-5', 'story-6'];
const STOCK = 4;

let e2e: E2E;
let gate: string;
let eventId: string;
let stopped = false;

beforeAll(async () => {
  e2e = await startE2E('e2e-logs', ['shop'], {
    gates: 1,
    issuerMaxReplicas: 1,
    extraEnv: {
      gate: { LOG_LEVEL: 'debug', NODE_OPTIONS: WARNINGS },
      issuer: { LOG_LEVEL: 'debug', NODE_OPTIONS: WARNINGS },
      operator: { NODE_OPTIONS: WARNINGS },
    },
  });
  gate = e2e.platform.gateUrls[0]!;
  eventId = `${e2e.id}-sale`;
}, 120_000);

afterAll(async () => {
  if (!stopped) await e2e?.stop();
});

interface LogLine {
  level: string;
  service: string;
  msg: string;
  [field: string]: unknown;
}

/** Every line of every log file of this suite, by file name; throws on a line that is not JSON. */
function logFiles(): Map<string, string[]> {
  const dir = path.join(repoRoot, '.rediclaim', 'test', 'logs', e2e.id);
  const files = new Map<string, string[]>();
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.log')))
    files.set(
      name,
      readFileSync(path.join(dir, name), 'utf8')
        .split('\n')
        .filter((line) => line.length > 0),
    );
  return files;
}

function records(service: 'gate' | 'issuer', msg: string): LogLine[] {
  const out: LogLine[] = [];
  for (const [name, lines] of logFiles()) {
    if (!name.startsWith(service)) continue;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const record = JSON.parse(line) as LogLine;
      if (record.msg === msg) out.push(record);
    }
  }
  return out;
}

/** Reads a topic from its beginning with a group of its own until `enough` says so. */
async function readTopic(
  topic: string,
  enough: (messages: KafkaMessage[]) => boolean,
): Promise<KafkaMessage[]> {
  const consumer = testKafka().consumer({
    groupId: `${e2e.id}-reader-${Math.random().toString(36).slice(2)}`,
  });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
    await waitFor(`records on ${topic}`, async () => enough(messages), 30_000);
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

const header = (headers: IHeaders | undefined, name: string) => headers?.[name]?.toString();

describe('one log story per shopper', () => {
  it('logs the same traceId for a shopper at admission, decision and result', async () => {
    // Joined while paused, admitted together: admission batches of several shoppers.
    await e2e.apply('shop', 'sale', saleSpec({ eventId, stock: STOCK, rate: 20, paused: true }));
    await gateKnows(gate, eventId);
    for (const s of shoppers) expect((await join(gate, eventId, s)).status).toBe('WAITING');
    await e2e.patchSpec('shop', 'sale', { admission: { mode: 'fifo' } });
    const final = await waitFor('every shopper to learn the outcome', async () => {
      const all = await Promise.all(shoppers.map((s) => statusOf(gate, eventId, s)));
      return all.every((s) => s.status === 'ISSUED' || s.status === 'SOLD_OUT') ? all : undefined;
    });
    expect(final.filter((s) => s.status === 'ISSUED')).toHaveLength(STOCK);

    const admissions = records('gate', 'admission batch sent').filter((r) => r.event === eventId);
    expect(admissions.length).toBeGreaterThan(0);
    const admitted = admissions.reduce((n, r) => n + (r.count as number), 0);
    expect(admitted).toBe(STOCK);
    for (const a of admissions) {
      expect(a).toMatchObject({ level: 'debug', tenant: e2e.tenants.shop, event: eventId });
      expect(a.traceId).toMatch(/^[0-9a-f]{32}$/);
    }
    // The story of the first shopper of the first batch.
    const admission = admissions[0]!;
    const shopper = admission.firstUserId as string;
    const traceId = admission.traceId as string;
    expect(shoppers).toContain(shopper);

    await waitFor('the result line of the batch', async () =>
      records('gate', 'results recorded').some((r) => r.traceId === traceId),
    );
    const decision = records('issuer', 'batch decided and published').find((r) =>
      (r.traceIds as string[]).includes(traceId),
    );
    expect(decision).toMatchObject({ level: 'debug', deadLetters: 0 });
    expect((decision!.results as number) >= (admission.count as number)).toBe(true);
    const result = records('gate', 'results recorded').find((r) => r.traceId === traceId)!;
    expect(result).toMatchObject({
      level: 'debug',
      tenant: e2e.tenants.shop,
      event: eventId,
      count: admission.count,
      recorded: admission.count,
      firstUserId: shopper,
      lastUserId: admission.lastUserId,
    });
    // The record on the wire says so too: a child span of the admission's trace.
    const requests = await readTopic(`${e2e.id}.requests`, (m) => m.length >= admissions.length);
    const sent = requests.find(
      (m) => parseTraceparent(header(m.headers, TRACEPARENT_HEADER) ?? null)?.traceId === traceId,
    );
    expect(decodeIssueRequests(sent!.value).values.map((r) => r.userId)[0]).toBe(shopper);
  }, 120_000);

  it('decides a request record whose traceparent is garbage or absent, in a new trace', async () => {
    const requests = await readTopic(`${e2e.id}.requests`, (m) => m.length > 0);
    const original = requests[0]!;
    const originalTrace = parseTraceparent(header(original.headers, TRACEPARENT_HEADER) ?? null)!;
    const requestId = decodeIssueRequests(original.value).values[0]!.requestId;
    const signature = header(original.headers, SIGNATURE_HEADER)!;
    const answers = (messages: KafkaMessage[]) =>
      messages.filter((m) =>
        decodeIssueResults(m.value).values.some((r) => r.requestId === requestId),
      );
    const traceIds = (messages: KafkaMessage[]) =>
      new Set(
        messages.map(
          (m) => parseTraceparent(header(m.headers, TRACEPARENT_HEADER) ?? null)?.traceId,
        ),
      );
    // The same record again (a replay: the issuer answers with its first decision),
    // once with a header no spec allows and once with none. One after the other: two
    // copies in one fetch are one request, answered once.
    const producer = testKafka().producer();
    await producer.connect();
    let results: KafkaMessage[] = [];
    try {
      const copies = [{ [TRACEPARENT_HEADER]: '00-NOT-A-TRACE-01' }, {}];
      for (const [i, extra] of copies.entries()) {
        await producer.send({
          topic: `${e2e.id}.requests`,
          messages: [
            {
              key: original.key,
              value: original.value,
              headers: { [SIGNATURE_HEADER]: signature, ...extra },
            },
          ],
        });
        // The first answer, and one for each copy (a redelivery may add more of either).
        results = answers(
          await readTopic(`${e2e.id}.results`, (m) => traceIds(answers(m)).size >= i + 2),
        );
      }
    } finally {
      await producer.disconnect();
    }
    const traces = results.map((m) =>
      parseTraceparent(header(m.headers, TRACEPARENT_HEADER) ?? null),
    );
    expect(traces.filter((t) => t === undefined)).toEqual([]);
    const ids = traceIds(results);
    expect(ids.has(originalTrace.traceId)).toBe(true);
    expect(ids.size).toBe(3);
    // An answer's span is its own, never its request record's.
    expect(traces.some((t) => t!.parentId === originalTrace.parentId)).toBe(false);
    const outcomes = new Set(
      results.map(
        (m) => decodeIssueResults(m.value).values.find((r) => r.requestId === requestId)!.outcome,
      ),
    );
    expect(outcomes.size).toBe(1);

    const malformed = records(
      'issuer',
      'a request record has a malformed traceparent; it is decided in a new trace',
    );
    expect(malformed.length).toBeGreaterThan(0);
    for (const line of malformed)
      expect(line).toMatchObject({ level: 'debug', traceparent: '00-NOT-A-TRACE-01' });
    expect(ids.has(malformed[0]!.traceId as string)).toBe(true);
    expect(records('issuer', 'dead letter: an issue request could not be decoded')).toEqual([]);
  }, 90_000);

  it('writes nothing but JSON, Node’s warnings as warn records of the service', async () => {
    await e2e.stop();
    stopped = true;
    const files = logFiles();
    expect([...files.keys()].map((f) => f.split('-')[0]).sort()).toEqual(
      expect.arrayContaining(['gate', 'issuer', 'operator']),
    );
    for (const [name, lines] of files) {
      const notJson = lines.filter((line) => {
        try {
          return typeof JSON.parse(line) !== 'object';
        } catch {
          return true;
        }
      });
      expect({ name, notJson }).toEqual({ name, notJson: [] });
      const warnings = lines
        .map((line) => JSON.parse(line) as LogLine)
        .filter((r) => r.component === 'node');
      const names = warnings.map((r) => (r.warning as { name: string }).name);
      expect({ name, names }).toEqual({
        name,
        names: expect.arrayContaining([
          'DeprecationWarning',
          'MaxListenersExceededWarning',
          'TimeoutNegativeWarning',
          'Warning',
        ]),
      });
      for (const w of warnings) expect(w.level).toBe('warn');
      expect(warnings.find((w) => w.msg.startsWith('DeprecationWarning'))).toMatchObject({
        msg: 'DeprecationWarning: e2e: emitted before the main module ran',
        warning: { code: 'DEP_E2E' },
      });
    }
  }, 60_000);
});
