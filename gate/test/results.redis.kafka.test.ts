import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import type { Consumer, Producer } from 'kafkajs';
import {
  encodeIssueResultV1,
  encodeIssueResults,
  eventKeys,
  requestIdOf,
  resultBatchHeaderOf,
  resultItemOf,
  signRecords,
  type DeadLetter,
  type IssueResult,
  type OutgoingRecord,
} from '@rediclaim/core';
import { testKafka, testRedis, uniqueName, waitFor } from '@rediclaim/hack/testing';
import { SuiteEvents } from './support/suite-events.js';
import {
  TEST_SIGNING_KEY,
  gateEnv,
  signedAsIssuer,
  startGate,
  suiteTopics,
  type InProcessGate,
  type Topics,
} from './support/harness.js';
import { IssuerSim } from './support/issuer-sim.js';
import { shopperApi } from './support/shoppers.js';

/**
 * Batched records (v2) both ways against the real Redis and Kafka of the test stack: the
 * gate sends an admission batch as one request record and records result batches; a bad
 * item of a batch costs only itself (its own dead letter, with its index); one Kafka
 * batch over several events is recorded with one script call per event and chunk
 * (RESULTS_RECORD_CHUNK 2 here, so every event takes several); v1 records, from issuers
 * before batches, are still read; a batch delivered again changes nothing; and only
 * results signed with the issuers' key are recorded.
 */
const TENANT = 'results';
const ids = {
  sent: uniqueName('sent'),
  bad: uniqueName('bad'),
  a: uniqueName('many-a'),
  b: uniqueName('many-b'),
  forged: uniqueName('forged'),
  upgrading: uniqueName('upgrading'),
};

let topics: Topics;
let sim: IssuerSim;
let g: InProcessGate;
let redis: Redis;
let producer: Producer;
let letters: Consumer;
const deadLetters: DeadLetter[] = [];
const events = new SuiteEvents(TENANT);

const shopper = shopperApi(() => g.http);
const { me, untilStatus } = shopper;
/** Joins a paused event; the shopper's ticket, read from the queue. */
const join = async (ev: string, user: string): Promise<number> => {
  expect((await shopper.join(ev, user)).statusCode).toBe(201);
  return Number(await redis.zscore(eventKeys(TENANT, ev).queue, user));
};

/** The issuer's result for one shopper of a paused event (tickets read from the queue). */
function resultOf(ev: string, userId: string, ticket: number, outcome: string): IssueResult {
  const now = new Date().toISOString();
  return {
    type: 'IssueResult',
    version: 1,
    requestId: requestIdOf(TENANT, ev, userId, ticket),
    tenant: TENANT,
    eventId: ev,
    userId,
    ticket,
    outcome,
    ...(outcome === 'ISSUED'
      ? {
          coupon: {
            code: `${userId.toUpperCase()}-1`,
            serial: 1,
            discount: { type: 'percent', percent: 10 },
            validFrom: now,
            validUntil: now,
            issuedAt: now,
          },
        }
      : {}),
    ...(outcome === 'REJECTED' ? { reason: 'COUPON_WINDOW_ENDED' } : {}),
    remaining: 900,
    stock: 1000,
    decidedAt: now,
  } as IssueResult;
}

/** Results the gate did not record since it started, by reason. */
async function ignored(reason: string): Promise<number> {
  const { values } = await g.gate.metrics.resultsIgnored.get();
  return values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

beforeAll(async () => {
  topics = await suiteTopics('results');
  events.define(ids.sent, { mode: 'paused', rate: 1_000 });
  for (const id of [ids.bad, ids.a, ids.b, ids.forged, ids.upgrading])
    events.define(id, { mode: 'paused' });
  sim = new IssuerSim(topics, { kind: 'silent' });
  sim.set(ids.sent, { kind: 'issue' });
  await sim.start();
  const kafka = testKafka('results');
  producer = kafka.producer();
  await producer.connect();
  letters = kafka.consumer({ groupId: uniqueName('results-dl') });
  await letters.connect();
  await letters.subscribe({ topic: topics.deadLetters, fromBeginning: true });
  await letters.run({
    eachMessage: async ({ message }) =>
      void deadLetters.push(JSON.parse(message.value!.toString())),
  });
  g = await startGate(
    gateEnv(topics, {
      EVENTS_FILE: events.path(),
      DISPATCH_INTERVAL_MS: '20',
      ENQUEUE_RATE_LIMIT_MAX: '0',
      RESULTS_RECORD_CHUNK: '2',
    }),
  );
  redis = testRedis();
});

afterAll(async () => {
  await g?.stop();
  await sim?.stop();
  await letters?.disconnect();
  await producer?.disconnect();
  await redis?.quit();
  await events.remove();
});

describe('requests', () => {
  it('sends an admission batch as one v2 record, and records the v2 batch the issuer answers with', async () => {
    const users = Array.from({ length: 10 }, (_, i) => `s${i}`);
    for (const user of users) await join(ids.sent, user);
    // Resumed with ten waiting: the first admission takes them all (20 ms at 1,000/s).
    await events.update(g.gate, ids.sent, (c) => (c.admission.mode = 'fifo'));
    for (const user of users) await untilStatus(ids.sent, user, 'ISSUED');
    const records = sim.records.filter((r) => r.eventId === ids.sent);
    expect(records.every((r) => r.version === 2)).toBe(true);
    expect(records.reduce((n, r) => n + r.size, 0)).toBe(10);
    expect(records.length).toBeLessThan(10);
    const codes = new Set<string>();
    for (const user of users) codes.add((await me(ids.sent, user)).coupon!.code);
    expect(codes.size).toBe(10);
  });
});

describe('result batches', () => {
  it('dead-letters a bad item alone, with its index and the header, and records the others', async () => {
    const id = ids.bad;
    const ann = resultOf(id, 'ann', await join(id, 'ann'), 'ISSUED');
    const bobTicket = await join(id, 'bob');
    const cat = resultOf(id, 'cat', await join(id, 'cat'), 'REJECTED');
    const header = resultBatchHeaderOf(ann);
    // bob's item says ISSUED without its coupon.
    const bad = {
      requestId: requestIdOf(TENANT, id, 'bob', bobTicket),
      userId: 'bob',
      ticket: bobTicket,
      outcome: 'ISSUED',
    };
    const value = JSON.stringify({
      ...header,
      items: [resultItemOf(ann, header), bad, resultItemOf(cat, header)],
    });
    await producer.send({
      topic: topics.results,
      acks: -1,
      messages: signedAsIssuer([{ key: 'batch-key', value: Buffer.from(value) }]),
    });

    const letter = await waitFor('the dead letter', () =>
      deadLetters.find((d) => d.source.index !== undefined),
    );
    expect(letter).toMatchObject({
      reason: { code: 'INVALID_MESSAGE' },
      service: 'gate',
      source: { topic: topics.results, key: 'batch-key', index: 1 },
    });
    expect(letter.reason.message).toContain('item 1');
    // The payload is the record's header with that item alone: it can be produced again.
    expect(JSON.parse(letter.payload)).toEqual({ ...header, items: [bad] });
    expect(await untilStatus(id, 'ann', 'ISSUED')).toMatchObject({ coupon: { code: 'ANN-1' } });
    expect(await untilStatus(id, 'cat', 'REJECTED')).toMatchObject({
      reason: 'COUPON_WINDOW_ENDED',
    });
    expect(await me(id, 'bob')).toMatchObject({ status: 'WAITING' });
    expect(await ignored('invalid')).toBe(1);
  });

  it('records one Kafka batch over several events, v1 records among the v2 ones, and changes nothing when it comes again', async () => {
    const results: IssueResult[] = [];
    const outcomes = ['ISSUED', 'SOLD_OUT', 'ALREADY_ISSUED', 'REJECTED', 'ISSUED'];
    for (const [id, n] of [
      [ids.a, 5],
      [ids.b, 3],
    ] as const) {
      for (let i = 0; i < n; i++) {
        const user = `u${i}`;
        results.push(resultOf(id, user, await join(id, user), outcomes[i]!));
      }
    }
    // a's in one v2 batch per decision; b's first two in a v2 batch, its third as v1.
    const records = [
      ...encodeIssueResults(results.slice(0, 5)),
      ...encodeIssueResults(results.slice(5, 7)),
      encodeIssueResultV1(results[7]!),
    ];
    expect(records.length).toBeGreaterThan(2);
    // One partition: the consumer gets every record in one batch.
    const send = () =>
      producer.send({
        topic: topics.results,
        acks: -1,
        messages: signedAsIssuer(records).map((r) => ({ ...r, partition: 0 })),
      });
    await send();
    for (const r of results) await untilStatus(r.eventId, r.userId, r.outcome);
    const state = async () =>
      Promise.all(
        [ids.a, ids.b].map(async (id) => {
          const k = eventKeys(TENANT, id);
          return [await redis.hgetall(k.results), await redis.hgetall(k.stats)];
        }),
      );
    const before = await state();
    expect(before[0]![1]).toMatchObject({
      'outcome:ISSUED': '2',
      'outcome:SOLD_OUT': '1',
      'outcome:ALREADY_ISSUED': '1',
      'outcome:REJECTED': '1',
      issued: '100',
      soldOutAtStock: '1000',
    });
    expect(before[1]![1]).toMatchObject({
      'outcome:ISSUED': '1',
      'outcome:SOLD_OUT': '1',
      'outcome:ALREADY_ISSUED': '1',
    });

    // Delivered again (a rebalance, a crash before the commit): every result a duplicate.
    const duplicates = await ignored('duplicate');
    await send();
    await waitFor(
      'the batch recorded again',
      async () => (await ignored('duplicate')) === duplicates + 8,
    );
    expect(await state()).toEqual(before);
  });
});

describe('result signatures', () => {
  /** On partition 0, so the records are handled in the order sent. */
  const send = (records: OutgoingRecord[], topic = topics.results) =>
    producer.send({ topic, acks: -1, messages: records.map((r) => ({ ...r, partition: 0 })) });

  it('dead-letters a result unsigned, forged, signed by a key it does not hold or changed after signing; the shopper keeps waiting', async () => {
    const id = ids.forged;
    const ticket = await join(id, 'eve');
    const win = (key: string): OutgoingRecord => ({
      ...encodeIssueResultV1(resultOf(id, 'eve', ticket, 'ISSUED')),
      key,
    });
    const before = await ignored('invalid');
    const [changed] = signedAsIssuer([win('changed')]);
    changed!.value = Buffer.from(changed!.value.toString().replace('EVE-1', 'EVE-2'));
    await send([
      win('unsigned'),
      ...signRecords([win('forged')], { id: TEST_SIGNING_KEY.id, secret: 'f'.repeat(32) }),
      ...signRecords([win('stranger')], { id: 'other', secret: TEST_SIGNING_KEY.secret }),
      changed!,
    ]);
    const keys = ['unsigned', 'forged', 'stranger', 'changed'];
    const letters = await waitFor('the four dead letters', () => {
      const found = deadLetters.filter((d) => keys.includes(d.source.key ?? ''));
      return found.length === 4 ? found : undefined;
    });
    for (const letter of letters)
      expect(letter).toMatchObject({
        reason: { code: 'INVALID_SIGNATURE' },
        service: 'gate',
        source: { topic: topics.results },
      });
    const why = Object.fromEntries(letters.map((l) => [l.source.key, l.reason.message]));
    expect(why.unsigned).toContain('is missing');
    expect(why.forged).toContain('does not match');
    expect(why.stranger).toContain('names key "other"');
    expect(why.changed).toContain('does not match');
    expect(await me(id, 'eve')).toMatchObject({ status: 'WAITING' });
    expect(await ignored('invalid')).toBe(before + 4);

    // The issuer's own signature on the same result: recorded.
    await send(signedAsIssuer([win('signed')]));
    expect(await untilStatus(id, 'eve', 'ISSUED')).toMatchObject({ coupon: { code: 'EVE-1' } });
  });

  it('records unsigned results too with RESULT_SIGNATURES=optional (upgrading from issuers that do not sign), never forged ones', async () => {
    const own = await suiteTopics('results-optional');
    const upgrading = await startGate(
      gateEnv(own, { EVENTS_FILE: events.path(), RESULT_SIGNATURES: 'optional' }),
    );
    try {
      const id = ids.upgrading;
      const record = async (user: string) =>
        encodeIssueResultV1(resultOf(id, user, await join(id, user), 'ISSUED'));
      const forged = signRecords([await record('eve')], {
        id: TEST_SIGNING_KEY.id,
        secret: 'f'.repeat(32),
      });
      await send([...forged, await record('ann')], own.results);
      // Both on one partition: once ann's is recorded, eve's was handled before it.
      await untilStatus(id, 'ann', 'ISSUED');
      expect(await me(id, 'eve')).toMatchObject({ status: 'WAITING' });
      const { values } = await upgrading.gate.metrics.resultsIgnored.get();
      expect(values.find((v) => v.labels.reason === 'invalid')?.value).toBe(1);
    } finally {
      await upgrading.stop();
    }
  });
});
