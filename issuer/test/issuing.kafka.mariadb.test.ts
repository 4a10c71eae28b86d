import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ErrorCode, encodeMessage } from '@rediclaim/core';
import { buildApp, type Issuer } from '@rediclaim/issuer';
import { expectInvariants } from './support/invariants.js';
import { startIssuer } from './support/issuers.js';
import { ledgerOf } from './support/ledger.js';
import { capturingLogger } from './support/logs.js';
import { crowd, policy, request } from './support/requests.js';
import { byRequest, deadLetterReader, resultReader } from './support/results.js';
import { closeScenario, produce, scenario, type Scenario } from './support/scenario.js';
import type { TopicReader } from './support/topic-reader.js';
import type { DeadLetter, IssueResult } from '@rediclaim/core';

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
    ]);

    const letters = await deadLetters.until((d) => d.length >= 4, 30_000, 'four dead letters');
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
    await results.until(
      (r) =>
        good.every((g) => r.some((x) => x.requestId === g.requestId && x.outcome === 'ISSUED')),
      30_000,
      'the good requests answered',
    );
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
      expect(metrics).toContain('rediclaim_issuer_dead_letters_total{reason="INVALID_MESSAGE"} 3');
      expect(metrics).toContain(
        `rediclaim_issuer_stock_refusals_total{tenant="shop",event="${s.eventId}-stock"} 1`,
      );
      expect(metrics).toMatch(/rediclaim_issuer_transaction_seconds_count [1-9]/);
      expect(metrics).toMatch(/rediclaim_issuer_transaction_requests_sum [1-9]/);
      expect(metrics).toMatch(/rediclaim_issuer_batch_messages_count [1-9]/);
      expect(metrics).toMatch(/rediclaim_issuer_consumer_lag\{topic=".*",partition="\d"\} 0/);
      expect(metrics).toContain('rediclaim_issuer_process_cpu_seconds_total');
    } finally {
      await app.close();
    }
  });
});
