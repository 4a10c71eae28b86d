import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { IssueRequest, IssueResult } from '@rediclaim/core';
import {
  decideEvent,
  distinctRequests,
  EventRevisionRow,
  IssuedCouponRow,
} from '@rediclaim/issuer';
import { uniqueName } from '@rediclaim/hack/testing';
import { migratedDatabase } from './support/database.js';
import { crowd, policy, request, SECRET } from './support/requests.js';

// The deciding transaction against the test stack's MariaDB: three connection pools
// stand for three issuer replicas deciding the same event at once.
describe('deciding an event in one transaction (MariaDB)', () => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let sources: DataSource[];
  const tenant = 'shop';

  beforeAll(async () => {
    env = await migratedDatabase(3);
    sources = env.sources;
  });
  afterAll(async () => env.close());

  const decide = (requests: IssueRequest[], source = sources[0]!) =>
    decideEvent(
      source,
      SECRET,
      { tenant, eventId: requests[0]!.eventId, uid: requests[0]!.uid ?? '' },
      distinctRequests(requests),
    );

  async function coupons(eventId: string) {
    return sources[0]!
      .getRepository(IssuedCouponRow)
      .createQueryBuilder('c')
      .innerJoin('c.event', 'e')
      .where('e.tenant = :tenant AND e.eventId = :eventId', { tenant, eventId })
      .orderBy('c.serial')
      .getMany();
  }

  async function revisions(eventId: string) {
    return sources[0]!
      .getRepository(EventRevisionRow)
      .createQueryBuilder('r')
      .innerJoin('r.event', 'e')
      .where('e.tenant = :tenant AND e.eventId = :eventId', { tenant, eventId })
      .orderBy('r.generation')
      .getMany();
  }

  it('issues exactly min(stock, distinct users) when replicas decide overlapping batches at once', async () => {
    const eventId = uniqueName('race');
    const p = policy({ stock: 50 });
    const everyone = crowd(tenant, eventId, 80, p);
    // Every replica gets a shuffled, overlapping slice: plenty of duplicates across replicas.
    const slices = [0, 1, 2].map((r) =>
      everyone.filter((_, i) => i % 3 !== r).sort(() => Math.random() - 0.5),
    );
    const batches = slices.flatMap((slice, r) =>
      [0, 1, 2, 3].map((k) => ({
        source: sources[r]!,
        requests: slice.filter((_, i) => i % 4 === k),
      })),
    );
    const decisions = await Promise.all(batches.map((b) => decide(b.requests, b.source)));

    const rows = await coupons(eventId);
    expect(rows).toHaveLength(50);
    expect(new Set(rows.map((c) => c.userId)).size).toBe(50);
    expect(new Set(rows.map((c) => c.code)).size).toBe(50);
    expect(rows.map((c) => c.serial)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // Every request has one answer, the same whichever replica gave it.
    const answers = new Map<string, IssueResult[]>();
    for (const d of decisions) {
      for (const [id, result] of d.results) answers.set(id, [...(answers.get(id) ?? []), result]);
    }
    expect(answers.size).toBe(80);
    for (const [, results] of answers) {
      const { remaining: _r, ...first } = results[0]!;
      for (const other of results)
        expect({ ...other, remaining: _r }).toEqual({ ...first, remaining: _r });
    }
    const issued = [...answers.values()].filter((r) => r[0]!.outcome === 'ISSUED');
    expect(issued).toHaveLength(50);
    expect([...answers.values()].filter((r) => r[0]!.outcome === 'SOLD_OUT')).toHaveLength(30);
  });

  it('answers a second admission of the same user ALREADY_ISSUED under a per-user limit of 1', async () => {
    const eventId = uniqueName('limit1');
    const p = policy({ stock: 10 });
    const first = await decide([request(tenant, eventId, 'ann', 1, p)]);
    const again = await decide([
      request(tenant, eventId, 'ann', 7, p),
      request(tenant, eventId, 'bob', 8, p),
    ]);
    expect(first.results.get(`${tenant}/${eventId}/ann/1`)!.outcome).toBe('ISSUED');
    expect(again.results.get(`${tenant}/${eventId}/ann/7`)!.outcome).toBe('ALREADY_ISSUED');
    expect(again.results.get(`${tenant}/${eventId}/bob/8`)!.outcome).toBe('ISSUED');
    expect((await coupons(eventId)).map((c) => [c.userId, c.seq])).toEqual([
      ['ann', 1],
      ['bob', 1],
    ]);
  });

  it('lets a user collect up to a per-user limit above 1, numbering the coupons', async () => {
    const eventId = uniqueName('limit3');
    const p = policy({ stock: 10, perUserLimit: 3 });
    await decide([request(tenant, eventId, 'ann', 1, p), request(tenant, eventId, 'ann', 2, p)]);
    const later = await decide([3, 4, 5].map((t) => request(tenant, eventId, 'ann', t, p)));
    expect(
      [3, 4, 5].map((t) => later.results.get(`${tenant}/${eventId}/ann/${t}`)!.outcome),
    ).toEqual(['ISSUED', 'ALREADY_ISSUED', 'ALREADY_ISSUED']);
    expect((await coupons(eventId)).map((c) => c.seq)).toEqual([1, 2, 3]);
  });

  it('re-derives identical outcomes and codes for duplicated and reordered deliveries', async () => {
    const eventId = uniqueName('redeliver');
    const p = policy({ stock: 3 });
    const requests = crowd(tenant, eventId, 5, p);
    const shuffled = [
      requests[4]!,
      requests[2]!,
      requests[0]!,
      requests[2]!,
      requests[3]!,
      requests[1]!,
    ];
    const first = await decide(shuffled);
    // In ticket order, whatever the delivery order: the first three tickets get serials 1..3.
    expect(requests.map((r) => first.results.get(r.requestId)!.outcome)).toEqual([
      'ISSUED',
      'ISSUED',
      'ISSUED',
      'SOLD_OUT',
      'SOLD_OUT',
    ]);
    expect(requests.slice(0, 3).map((r) => first.results.get(r.requestId)!.coupon!.serial)).toEqual(
      [1, 2, 3],
    );

    const again = await decide([...requests].reverse(), sources[1]!);
    for (const r of requests)
      expect(again.results.get(r.requestId)).toEqual(first.results.get(r.requestId));
    expect(again.redelivered).toBe(5);
    expect(again.outcomes).toEqual({});
    expect(await coupons(eventId)).toHaveLength(3);
  });

  it('decides a redelivery hidden among fresh requests the same as before, without a gap in the serials', async () => {
    // Fresh batches are planned without reading the users' history; a user who already
    // holds a coupon makes the insert meet the unique key, and the batch is decided
    // again with the history read: nothing of the first attempt may remain.
    const eventId = uniqueName('hidden');
    const p = policy({ stock: 100, perUserLimit: 2 });
    const first = crowd(tenant, eventId, 10, p);
    const before = await decide(first);
    const fresh = crowd(tenant, eventId, 10, p, 50).map((r, i) => ({
      ...r,
      userId: `new${i}`,
      requestId: `${tenant}/${eventId}/new${i}/${50 + i}`,
    }));
    const secondTicket = request(tenant, eventId, 'u3', 99, p);
    const after = await decide([...fresh.slice(0, 5), first[7]!, secondTicket, ...fresh.slice(5)]);
    // The same decision and coupon; `remaining` describes the sale when answered.
    expect(after.results.get(first[7]!.requestId)).toEqual({
      ...before.results.get(first[7]!.requestId),
      remaining: 79,
    });
    expect(after.results.get(secondTicket.requestId)!.outcome).toBe('ISSUED');
    expect(after.redelivered).toBe(1);
    expect(after.outcomes).toEqual({ ISSUED: 11 });
    const rows = await coupons(eventId);
    expect(rows.map((c) => c.serial)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(rows.filter((c) => c.userId === 'u3').map((c) => c.seq)).toEqual([1, 2]);
    expect(after.issued).toBe(21);
  });

  it('adds a raised stock to what remains, and keeps earlier SOLD_OUT answers', async () => {
    const eventId = uniqueName('raise');
    const g1 = policy({ stock: 3, generation: 1 });
    const g2 = policy({ stock: 5, generation: 2 });
    const early = crowd(tenant, eventId, 5, g1);
    const before = await decide(early);
    expect(before).toMatchObject({ stock: 3, issued: 3 });

    const late = crowd(tenant, eventId, 3, g2, 100).map((r, i) => ({
      ...r,
      userId: `late${i}`,
      requestId: `${tenant}/${eventId}/late${i}/${100 + i}`,
    }));
    const after = await decide([...late, early[4]!]);
    expect(after).toMatchObject({ stock: 5, issued: 5, outcomes: { ISSUED: 2, SOLD_OUT: 1 } });
    expect(after.results.get(early[4]!.requestId)!.outcome).toBe('SOLD_OUT');
    expect(after.results.get(late[0]!.requestId)).toMatchObject({
      outcome: 'ISSUED',
      stock: 5,
      remaining: 0,
    });
    expect(await revisions(eventId)).toEqual([
      expect.objectContaining({ outcome: 'APPLIED', stock: 3, previousStock: null }),
      expect.objectContaining({ outcome: 'APPLIED', stock: 5, previousStock: 3, issuedThen: 3 }),
    ]);
  });

  it('refuses a stock below what was issued: nothing changes, and requests carrying it are rejected', async () => {
    const eventId = uniqueName('lower');
    const g1 = policy({ stock: 10, generation: 1 });
    const g2 = policy({ stock: 4, generation: 2 });
    await decide(crowd(tenant, eventId, 6, g1));

    const refused = await decide([
      request(tenant, eventId, 'new1', 50, g2),
      request(tenant, eventId, 'old1', 40, g1),
    ]);
    expect(refused.revisions).toEqual([
      expect.objectContaining({
        generation: 2,
        outcome: 'REFUSED',
        stock: 4,
        previousStock: 10,
        issuedThen: 6,
      }),
    ]);
    expect(refused.results.get(`${tenant}/${eventId}/new1/50`)).toMatchObject({
      outcome: 'REJECTED',
      reason: 'STOCK_BELOW_ISSUED',
      stock: 10,
    });
    // Requests admitted under the last valid config are still decided on its stock.
    expect(refused.results.get(`${tenant}/${eventId}/old1/40`)!.outcome).toBe('ISSUED');
    expect(refused).toMatchObject({ stock: 10, issued: 7 });

    // Judged again by a later batch: still refused, recorded (and logged) only once.
    const again = await decide([request(tenant, eventId, 'new2', 51, g2)], sources[2]!);
    expect(again.revisions).toEqual([]);
    expect(again.results.get(`${tenant}/${eventId}/new2/51`)!.reason).toBe('STOCK_BELOW_ISSUED');
    expect(await coupons(eventId)).toHaveLength(7);
    expect((await revisions(eventId)).map((r) => [Number(r.generation), r.outcome])).toEqual([
      [1, 'APPLIED'],
      [2, 'REFUSED'],
    ]);
  });

  it('rejects requests once the coupons could no longer be used, issuing nothing', async () => {
    const eventId = uniqueName('ended');
    const ended = policy({
      stock: 5,
      validity: { endsAt: new Date(Date.now() - 1_000).toISOString() },
    });
    const decision = await decide(crowd(tenant, eventId, 2, ended));
    expect([...decision.results.values()].map((r) => [r.outcome, r.reason])).toEqual([
      ['REJECTED', 'COUPON_WINDOW_ENDED'],
      ['REJECTED', 'COUPON_WINDOW_ENDED'],
    ]);
    expect(await coupons(eventId)).toHaveLength(0);
  });

  it('keeps the code format the event started with', async () => {
    const eventId = uniqueName('format');
    await decide([
      request(tenant, eventId, 'a', 1, policy({ stock: 5, code: { prefix: 'OLD-', length: 8 } })),
    ]);
    const changed = await decide([
      request(
        tenant,
        eventId,
        'b',
        2,
        policy({ stock: 5, generation: 2, code: { prefix: 'NEW-', length: 12 } }),
      ),
    ]);
    expect(changed.codeFormatKept).toBe(true);
    expect((await coupons(eventId)).map((c) => c.code.slice(0, 4))).toEqual(['OLD-', 'OLD-']);
  });

  describe('sales of one event id (each CouponEvent uid its own sale)', () => {
    const ofSale = (uid: string | undefined, requests: IssueRequest[]) =>
      requests.map((r) => (uid === undefined ? r : { ...r, uid }));

    it('gives a sale re-created under the same id its own stock, codes and history', async () => {
      const eventId = uniqueName('again');
      const old = await decide(ofSale('uid-old', crowd(tenant, eventId, 3, policy({ stock: 2 }))));
      expect([...old.results.values()].map((r) => r.outcome).sort()).toEqual([
        'ISSUED',
        'ISSUED',
        'SOLD_OUT',
      ]);
      // The same shoppers, the same tickets (a new sale's counter starts again), a new uid.
      const fresh = policy({ stock: 3, code: { prefix: 'NEW-', length: 10 } });
      const renewed = await decide(ofSale('uid-new', crowd(tenant, eventId, 3, fresh)));
      expect([...renewed.results.values()].map((r) => r.outcome)).toEqual([
        'ISSUED',
        'ISSUED',
        'ISSUED',
      ]);
      for (const r of renewed.results.values()) expect(r.uid).toBe('uid-new');
      const all = await coupons(eventId);
      expect(all.filter((c) => c.code.startsWith('NEW-'))).toHaveLength(3);
      expect(all.filter((c) => c.code.startsWith('T-'))).toHaveLength(2);
      // Each sale has its own history: both start at generation 1.
      expect((await revisions(eventId)).map((r) => r.generation)).toEqual([1, 1]);
      // Asked again, the old sale still answers with what it decided.
      const replay = await decide(
        ofSale('uid-old', crowd(tenant, eventId, 3, policy({ stock: 2 }))),
      );
      expect(replay.results).toEqual(old.results);
    });

    it('lets the first request naming a uid claim the row of a sale from before uids', async () => {
      const eventId = uniqueName('claim');
      const p = policy({ stock: 2 });
      await decide(ofSale(undefined, crowd(tenant, eventId, 1, p)));
      const later = await decide(ofSale('uid-x', crowd(tenant, eventId, 3, p, 10).slice(1)));
      // One stock across the upgrade: one coupon before, one after, then sold out.
      expect([...later.results.values()].map((r) => r.outcome)).toEqual(['ISSUED', 'SOLD_OUT']);
      expect(await coupons(eventId)).toHaveLength(2);
    });

    it('decides a request naming no uid against the newest sale', async () => {
      const eventId = uniqueName('newest');
      await decide(ofSale('uid-a', crowd(tenant, eventId, 1, policy({ stock: 1 }))));
      await decide(ofSale('uid-b', crowd(tenant, eventId, 1, policy({ stock: 5 }), 5)));
      const plain = await decide(
        ofSale(undefined, [request(tenant, eventId, 'late', 9, policy({ stock: 5 }))]),
      );
      expect([...plain.results.values()][0]).toMatchObject({ outcome: 'ISSUED', remaining: 3 });
    });
  });
});
