import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import {
  SIGNATURE_HEADER,
  TRACEPARENT_HEADER,
  decodeIssueResults,
  formatTraceparent,
  newTrace,
  parseTraceparent,
  signRecord,
  verifyRecord,
  type DeadLetter,
  type IssueRequest,
  type IssueResult,
  type TraceContext,
} from '@rediclaim/core';
import type { Issuer } from '@rediclaim/issuer';
import { startIssuer } from './support/issuers.js';
import { capturingLogger } from './support/logs.js';
import { SIGNING_KEY, batchRecordOf, crowd, policy } from './support/requests.js';
import { deadLetterReader } from './support/results.js';
import { closeScenario, scenario, type Scenario } from './support/scenario.js';
import { TopicReader } from './support/topic-reader.js';

/** One result record as read: its results and its traceparent header, parsed. */
interface AnswerRecord {
  results: IssueResult[];
  traceparent: string | undefined;
  trace: TraceContext | undefined;
  /** The key its signature verifies with (the gates record no other), or why it does not. */
  signedBy: string;
}

const headerOf = (headers: IHeaders | undefined) => headers?.[TRACEPARENT_HEADER]?.toString();

function signerOf(value: Buffer, record: KafkaMessage): string {
  try {
    return verifyRecord(value, record.headers?.[SIGNATURE_HEADER], [SIGNING_KEY]).id;
  } catch (error) {
    return String(error);
  }
}

/** One v2 request record of `requests`, signed like a gate's, with `traceparent` as given. */
function requestRecord(requests: IssueRequest[], traceparent?: string | string[]) {
  const record = batchRecordOf(requests);
  return {
    key: record!.key,
    value: record!.value,
    headers: {
      [SIGNATURE_HEADER]: signRecord(record!.value, SIGNING_KEY),
      ...(traceparent === undefined ? {} : { [TRACEPARENT_HEADER]: traceparent }),
    },
  };
}

// An issuer in this process against the test stack's Kafka and MariaDB: the trace
// context request records carry, continued on their answers (signed, as gates require).
describe('trace context through the issuer', () => {
  let s: Scenario;
  let issuer: Issuer;
  let answers: TopicReader<AnswerRecord>;
  let deadLetters: TopicReader<DeadLetter>;
  const logs = capturingLogger('debug');
  const logLines = (msg: string) => logs.lines().filter((l) => l.msg === msg);

  beforeAll(async () => {
    s = await scenario('trace', 4);
    issuer = await startIssuer(s, {}, logs.logger);
    answers = await new TopicReader<AnswerRecord>(
      s,
      s.topics.issueResults,
      (value, record: KafkaMessage) => {
        const traceparent = headerOf(record.headers);
        return [
          {
            results: decodeIssueResults(value).values,
            traceparent,
            trace: parseTraceparent(traceparent ?? null),
            signedBy: signerOf(value, record),
          },
        ];
      },
    ).start();
    deadLetters = await deadLetterReader(s);
  });
  afterAll(async () => {
    await answers?.stop();
    await deadLetters?.stop();
    await issuer?.stop();
    await closeScenario(s);
  });

  const producer = () => s.kafka.producer({ allowAutoTopicCreation: false });

  /** The answer records of `requests`, once every one of them is answered. */
  async function answersTo(requests: readonly IssueRequest[]): Promise<AnswerRecord[]> {
    const ids = new Set(requests.map((r) => r.requestId));
    const mine = (records: AnswerRecord[]) =>
      records.filter((a) => a.results.some((r) => ids.has(r.requestId)));
    await answers.until(
      (records) =>
        new Set(mine(records).flatMap((a) => a.results.map((r) => r.requestId))).size >= ids.size,
      30_000,
      `answers to ${ids.size} requests`,
    );
    return mine(answers.items);
  }

  it('answers each request record in its own records, children of its trace, signed with its key', async () => {
    const eventId = `${s.eventId}-two`;
    const p = policy({ stock: 100 });
    const shoppers = crowd(s.tenant, eventId, 30, p);
    const [first, second] = [shoppers.slice(0, 20), shoppers.slice(20)];
    const [t1, t2] = [newTrace(), newTrace()];
    const kafka = producer();
    await kafka.connect();
    try {
      // One send: both records likely in one fetch, decided in one transaction.
      await kafka.send({
        topic: s.topics.issueRequests,
        acks: -1,
        messages: [
          requestRecord(first, formatTraceparent(t1)),
          requestRecord(second, formatTraceparent(t2)),
        ],
      });
    } finally {
      await kafka.disconnect();
    }
    const records = await answersTo(shoppers);
    const traceOf = new Map<string, string>();
    for (const record of records) {
      expect(record.trace).toBeDefined();
      // A child span: the request record's trace id, a parent id of its own.
      expect([t1.traceId, t2.traceId]).toContain(record.trace!.traceId);
      expect([t1.parentId, t2.parentId]).not.toContain(record.trace!.parentId);
      expect(record.trace!.flags).toBe('01');
      expect(record.signedBy).toBe(SIGNING_KEY.id);
      for (const r of record.results) traceOf.set(r.userId, record.trace!.traceId);
    }
    for (const r of first) expect(traceOf.get(r.userId)).toBe(t1.traceId);
    for (const r of second) expect(traceOf.get(r.userId)).toBe(t2.traceId);

    const decided = logLines('batch decided and published').filter((l) =>
      (l.traceIds as string[]).some((id) => id === t1.traceId || id === t2.traceId),
    );
    expect(decided.flatMap((l) => l.traceIds as string[])).toEqual(
      expect.arrayContaining([t1.traceId, t2.traceId]),
    );
    const issued = decided.reduce(
      (n, l) => n + ((l.outcomes as Record<string, number>).ISSUED ?? 0),
      0,
    );
    expect(issued).toBe(30);
  });

  it('decides a record whose traceparent is malformed or absent, in a new trace, never a dead letter', async () => {
    const eventId = `${s.eventId}-bad`;
    const p = policy({ stock: 100 });
    const shoppers = crowd(s.tenant, eventId, 6, p);
    const valid = formatTraceparent(newTrace());
    const cases: (string | string[] | undefined)[] = [
      'garbage',
      valid.toUpperCase(),
      `ff${valid.slice(2)}`,
      [valid, valid],
      undefined,
      `00-${'0'.repeat(32)}-${valid.slice(36)}`,
    ];
    const kafka = producer();
    await kafka.connect();
    try {
      await kafka.send({
        topic: s.topics.issueRequests,
        acks: -1,
        messages: cases.map((traceparent, i) => requestRecord([shoppers[i]!], traceparent)),
      });
    } finally {
      await kafka.disconnect();
    }
    const records = await answersTo(shoppers);
    expect(records.filter((r) => r.trace === undefined)).toEqual([]);
    const traces = new Set(records.map((r) => r.trace!.traceId));
    expect(traces.size).toBe(6);
    expect(traces.has(valid.slice(3, 35))).toBe(false);
    expect(records.flatMap((r) => r.results.map((x) => x.outcome))).toEqual(
      Array(6).fill('ISSUED'),
    );

    const malformed = logLines(
      'a request record has a malformed traceparent; it is decided in a new trace',
    ).map((l) => l.traceparent);
    expect(malformed).toEqual(
      expect.arrayContaining([
        'garbage',
        valid.toUpperCase(),
        `ff${valid.slice(2)}`,
        `${valid}, ${valid}`,
        `00-${'0'.repeat(32)}-${valid.slice(36)}`,
      ]),
    );
    expect(deadLetters.items.filter((d) => d.source.topic === s.topics.issueRequests)).toEqual([]);
  });
});
