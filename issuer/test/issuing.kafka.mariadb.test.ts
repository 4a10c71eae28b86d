import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ErrorCode, encodeIssueRequests, encodeMessage, signRecord } from '@rediclaim/core';
import { buildApp, type Issuer } from '@rediclaim/issuer';
import { expectInvariants } from './support/invariants.js';
import { startIssuer } from './support/issuers.js';
import { ledgerOf } from './support/ledger.js';
import { capturingLogger } from './support/logs.js';
import { crowd, policy, request } from './support/requests.js';
import {
  byRequest,
  deadLetterReader,
  resultReader,
  resultRecordReader,
} from './support/results.js';
import { closeScenario, produce, scenario, type Scenario } from './support/scenario.js';
import type { TopicReader } from './support/topic-reader.js';
import type { DeadLetter, DecodedRecord, IssueResult } from '@rediclaim/core';

// An issuer in this process against the test stack's Kafka and MariaDB, with topics
// and a database of its own.
describe('the issuer between Kafka and MariaDB', () => {
  let s: Scenario;
  let issuer: Issuer;
  let results: TopicReader<IssueResult>;
  let deadLetters: TopicReader<DeadLetter>;
  const logs = capturingLogger();

  beforeAll(async () => {
    s = await scenario('kafka', 4);
    issuer = await startIssuer(s, {}, logs.logger);
    [results, deadLetters] = await Promise.all([resultReader(s), deadLetterReader(s)]);
  });
  afterAll(async () => {
    await results.stop();
    await deadLetters.stop();
    await issuer.stop();
    await closeScenario(s);
  });

  it('answers every request once, issuing exactly min(stock, distinct users), through duplicates and reordering', async () => {
    const p = policy({ stock: 150 });
    const requests = crowd(s.tenant, s.eventId, 200, p);
    // Out of ticket order, and a quarter of the requests delivered twice.
    const deliveries = [...requests.slice(100).reverse(), ...requests.slice(0, 100)];
    const duplicates = requests.filter((_, i) => i % 4 === 0);
    await produce(s, deliveries.slice(0, 120));
    await produce(s, [...duplicates, ...deliveries.slice(120)]);

    await results.until(
      (r) => new Set(r.map((x) => x.requestId)).size >= 200,
      60_000,
      '200 answers',
    );
    await expectInvariants(s, requests, results.items, 150);
    // One result per delivery: exactly one for a request delivered once; one or two
    // (identical) for a request delivered twice, as both copies shared a batch or not.
    const answers = byRequest(results.items);
    const twice = new Set(duplicates.map((r) => r.requestId));
    for (const r of requests) {
      const copies = answers.get(r.requestId)!.length;
      if (twice.has(r.requestId)) expect(copies).toBeLessThanOrEqual(2);
      else expect(copies).toBe(1);
    }
  });

  it('sends malformed messages to the dead-letter topic with their reason while good ones flow', async () => {
    const eventId = `${s.eventId}-dl`;
    const p = policy({ stock: 10 });
    const good = [1, 2, 3].map((t) => request(s.tenant, eventId, `g${t}`, t, p));
    const badVersion = encodeMessage({ ...request(s.tenant, eventId, 'v', 9, p), version: 2 });
    const forgedUnsigned = request(s.tenant, eventId, 'mallory', 11, p);
    const forgedKey = request(s.tenant, eventId, 'trudy', 12, p);
    const wrongShape = encodeMessage({
      ...request(s.tenant, eventId, 'w', 10, p),
      ticket: 'first',
    });
    await produce(s, [
      { key: 'bad/json', value: '{"type":"IssueRequest","version":1,' },
      good[0]!,
      { key: 'bad/shape', value: wrongShape },
      good[1]!,
      { key: 'bad/version', value: badVersion },
      { key: 'bad/bytes', value: Buffer.from([0xc3, 0x28, 0xff]) },
      good[2]!,
      // Well-formed requests nobody's gate sent: minted coupons if they were decided.
      { key: 'forged/unsigned', value: encodeMessage(forgedUnsigned), signature: null },
      {
        key: 'forged/key',
        value: encodeMessage(forgedKey),
        signature: signRecord(encodeMessage(forgedKey), { id: 'gate', secret: 'z'.repeat(32) }),
      },
    ]);

    const letters = await deadLetters.until((d) => d.length >= 6, 30_000, 'six dead letters');
    const byKey = new Map(letters.map((d) => [d.source.key, d]));
    expect(byKey.get('bad/json')!.reason).toMatchObject({ code: ErrorCode.InvalidMessage });
    expect(byKey.get('bad/shape')!.reason.message).toMatch(
      /ticket: must be a number, not string "first"/,
    );
    expect(byKey.get('bad/version')!.reason.code).toBe(ErrorCode.UnsupportedMessageVersion);
    expect(byKey.get('bad/bytes')).toMatchObject({
      reason: { code: ErrorCode.InvalidMessage },
      payloadEncoding: 'base64',
      payload: Buffer.from([0xc3, 0x28, 0xff]).toString('base64'),
      source: { topic: s.topics.issueRequests },
    });
    for (const key of ['forged/unsigned', 'forged/key'])
      expect(byKey.get(key)!.reason.code).toBe(ErrorCode.InvalidSignature);
    expect(byKey.get('forged/key')!.reason.message).toMatch(/does not match the record/);
    await results.until(
      (r) =>
        good.every((g) => r.some((x) => x.requestId === g.requestId && x.outcome === 'ISSUED')),
      30_000,
      'the good requests answered',
    );
    // Nothing was decided for the forged ones: no coupon, no answer.
    expect((await ledgerOf(s, eventId)).coupons.map((c) => c.user_id).sort()).toEqual([
      'g1',
      'g2',
      'g3',
    ]);
    expect(results.items.some((r) => r.userId === 'mallory' || r.userId === 'trudy')).toBe(false);
  });

  it('dead-letters a bad item of a batch record alone, with its offset and index, and answers the rest', async () => {
    const eventId = `${s.eventId}-item`;
    const p = policy({ stock: 10 });
    const shoppers = [1, 2, 3, 4].map((t) => request(s.tenant, eventId, `i${t}`, t, p));
    const record = JSON.parse(
      encodeIssueRequests(
        {
          type: 'IssueRequestBatch',
          version: 2,
          tenant: s.tenant,
          eventId,
          admittedAt: shoppers[0]!.admittedAt,
          policy: p,
        },
        shoppers.map(({ requestId, userId, ticket }) => ({ requestId, userId, ticket })),
      )[0]!.value.toString(),
    ) as { items: Record<string, unknown>[] };
    record.items[2]!.userId = '';
    await produce(s, [{ key: 'bad/item', value: JSON.stringify(record) }]);

    const letters = await deadLetters.until(
      (d) => d.some((l) => l.source.key === 'bad/item'),
      30_000,
      'the bad item dead-lettered',
    );
    const letter = letters.find((l) => l.source.key === 'bad/item')!;
    expect(letter.source).toMatchObject({ topic: s.topics.issueRequests, index: 2 });
    expect(letter.source.offset).toMatch(/^\d+$/);
    expect(letter.reason.message).toMatch(
      /item 2 is invalid: items\[2\]\.userId: must not be empty/,
    );
    expect((JSON.parse(letter.payload) as { items: unknown[] }).items).toEqual([record.items[2]]);
    const good = [shoppers[0]!, shoppers[1]!, shoppers[3]!];
    await results.until(
      (r) =>
        good.every((g) => r.some((x) => x.requestId === g.requestId && x.outcome === 'ISSUED')),
      30_000,
      'the rest of the batch answered',
    );
    expect(letters.filter((l) => l.source.key === 'bad/item')).toHaveLength(1);
    expect((await ledgerOf(s, eventId)).issued).toBe(3);
  });

  it('answers v1 records with v1 results and v2 batches with batches, so gates of both versions read their answers', async () => {
    const eventId = `${s.eventId}-mixed`;
    const p = policy({ stock: 100 });
    const records = await resultRecordReader(s);
    try {
      const everyone = crowd(s.tenant, eventId, 60, p);
      const old = everyone.slice(0, 20);
      const current = everyone.slice(20);
      // An upgrade in the middle: v1 and v2 interleaved, and a v1 request sent again
      // in a v2 batch by an upgraded gate (same requestId).
      await produce(s, old.slice(0, 10), { version: 1 });
      await produce(s, current.slice(0, 20), { batchSize: 10 });
      await produce(s, old.slice(10), { version: 1 });
      await produce(s, [...current.slice(20), old[0]!], { batchSize: 7 });
      const answered = (r: DecodedRecord<IssueResult>[]) =>
        new Set(r.flatMap((x) => x.values.map((v) => v.requestId)));
      await records.until(
        (r) => everyone.every((x) => answered(r).has(x.requestId)),
        60_000,
        'all 60 answered',
      );
      const versionsOf = new Map<string, Set<number>>();
      for (const record of records.items) {
        for (const v of record.values) {
          if (v.eventId !== eventId) continue;
          const set = versionsOf.get(v.requestId) ?? new Set();
          set.add(record.version);
          versionsOf.set(v.requestId, set);
        }
      }
      for (const r of old.slice(1)) expect([...versionsOf.get(r.requestId)!]).toEqual([1]);
      for (const r of current) expect([...versionsOf.get(r.requestId)!]).toEqual([2]);
      // Its v1 copy is answered in v1 whenever it was decided; its v2 copy in v2.
      expect(versionsOf.get(old[0]!.requestId)!.has(1)).toBe(true);
      const mine = records.items.filter((r) => r.values.some((v) => v.eventId === eventId));
      expect(mine.filter((r) => r.version === 1).every((r) => r.values.length === 1)).toBe(true);
      expect(mine.some((r) => r.version === 2 && r.values.length > 1)).toBe(true);
      // The suite's own reader reads the same topic at its own pace.
      await results.until(
        (r) => everyone.every((x) => r.some((y) => y.requestId === x.requestId)),
        60_000,
        'all 60 answered, as the suite reader sees them',
      );
      await expectInvariants(s, everyone, results.items, 100, eventId);
    } finally {
      await records.stop();
    }
  });

  it('adds a raised stock to what remains and refuses one below what was issued, with a clear error', async () => {
    const eventId = `${s.eventId}-stock`;
    const g1 = policy({ stock: 5, generation: 1 });
    const g2 = policy({ stock: 8, generation: 2 });
    const g3 = policy({ stock: 2, generation: 3 });
    const wave = (prefix: string, n: number, p: typeof g1, first: number) =>
      Array.from({ length: n }, (_, i) =>
        request(s.tenant, eventId, `${prefix}${i}`, first + i, p),
      );
    const answered = (ids: string[]) =>
      results.until(
        (r) => ids.every((id) => r.some((x) => x.requestId === id)),
        30_000,
        `${ids.length} answers`,
      );
    const outcomes = (ids: string[]) =>
      ids.map((id) => results.items.find((x) => x.requestId === id)!.outcome);

    const first = wave('a', 8, g1, 1);
    await produce(s, first);
    await answered(first.map((r) => r.requestId));
    expect(outcomes(first.map((r) => r.requestId)).filter((o) => o === 'ISSUED')).toHaveLength(5);

    const second = wave('b', 4, g2, 100);
    await produce(s, second);
    await answered(second.map((r) => r.requestId));
    expect(outcomes(second.map((r) => r.requestId))).toEqual([
      'ISSUED',
      'ISSUED',
      'ISSUED',
      'SOLD_OUT',
    ]);

    const third = wave('c', 1, g3, 200);
    await produce(s, third);
    await answered([third[0]!.requestId]);
    expect(results.items.find((x) => x.requestId === third[0]!.requestId)).toMatchObject({
      outcome: 'REJECTED',
      reason: 'STOCK_BELOW_ISSUED',
      stock: 8,
    });
    const ledger = await ledgerOf(s, eventId);
    expect(ledger).toMatchObject({ stock: 8, issued: 8 });
    const refusal = logs.lines().find((l) => l.level === 50 && l.generation === 3);
    expect(refusal?.msg).toBe(
      `config generation 3 of shop/${eventId} refused: its stock 2 is below the 8 coupons already issued; the event keeps stock 8, and requests carrying that generation are REJECTED (STOCK_BELOW_ISSUED)`,
    );
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    // Over a real socket, as Prometheus and the kubelet reach it.
    const app = buildApp({ metrics: issuer.metrics, readiness: () => issuer.readiness() });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({
        ready: true,
        checks: { database: { ok: true }, consumer: { ok: true } },
      });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      const event = `tenant="shop",event="${s.eventId}"`;
      expect(metrics).toContain(`rediclaim_issuer_coupons_issued_total{${event}} 150`);
      expect(metrics).toContain(`rediclaim_issuer_sold_out_total{${event}} 50`);
      expect(metrics).toContain(`rediclaim_issuer_event_remaining{${event}} 0`);
      expect(metrics).toMatch(/rediclaim_issuer_duplicates_total [1-9]\d*/);
      expect(metrics).toContain('rediclaim_issuer_dead_letters_total{reason="INVALID_MESSAGE"} 4');
      expect(metrics).toContain(
        `rediclaim_issuer_stock_refusals_total{tenant="shop",event="${s.eventId}-stock"} 1`,
      );
      expect(metrics).toMatch(/rediclaim_issuer_transaction_seconds_count [1-9]/);
      expect(metrics).toMatch(/rediclaim_issuer_transaction_requests_sum [1-9]/);
      expect(metrics).toMatch(/rediclaim_issuer_batch_messages_count [1-9]/);
      expect(metrics).toMatch(/rediclaim_issuer_consumer_lag\{topic=".*",partition="\d"\} 0/);
      expect(metrics).toMatch(/^process_cpu_seconds_total /m);
    } finally {
      await app.close();
    }
  });
});
