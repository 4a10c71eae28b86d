import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Connection, ResultSetHeader } from 'mysql2/promise';
import { couponIdOf } from '@rediclaim/core';
import {
  createDataSource,
  createLogger,
  eventOutboxInsert,
  INVALID_KIND,
  IssuerMetrics,
  OutboxRelay,
  migrate,
  relayLockName,
  type Issuer,
} from '@rediclaim/issuer';
import { startPrivateStack, type PrivateStack } from '@rediclaim/hack/testing';
import { eventually } from './support/eventually.js';
import { startIssuer, startIssuerProcess } from './support/issuers.js';
import { ledgerOf } from './support/ledger.js';
import { capturingLogger } from './support/logs.js';
import { metricValue } from './support/metrics.js';
import {
  committedEvents,
  connect,
  copiesById,
  couponEventReader,
  expectOrderedPerCoupon,
  expectPublishedExactly,
  insertEvents,
  issuedCoupons,
  outboxRows,
  query,
  redeemedAndReleased,
  type OutboxRecord,
  type Published,
} from './support/outbox.js';
import { crowd, policy } from './support/requests.js';
import { closeScenario, produce, scenario, type Scenario } from './support/scenario.js';
import type { TopicReader } from './support/topic-reader.js';

// The outbox relay of issuers in this process against the test stack's Kafka and
// MariaDB, each suite with a database and topics of its own.

const metric = async (issuer: Issuer, name: string) =>
  metricValue(await issuer.metrics.registry.metrics(), `rediclaim_issuer_${name}`);

const published = (items: readonly Published[], id: string) =>
  items.filter((p) => p.event.id === id);

describe('the outbox relay of one issuer', () => {
  let s: Scenario;
  let issuer: Issuer;
  let coupons: TopicReader<Published>;
  const logs = capturingLogger();

  beforeAll(async () => {
    s = await scenario('outbox', 4);
    issuer = await startIssuer(s, { OUTBOX_POLL_INTERVAL_MS: '50' }, logs.logger);
    coupons = await couponEventReader(s);
  });
  afterAll(async () => {
    await coupons?.stop();
    await issuer?.stop();
    if (s) await closeScenario(s);
  });

  it('publishes one CouponIssued per issued coupon, as its rows hold it, in sequence order per coupon', async () => {
    const p = policy({ stock: 250, discount: { type: 'fixed', amount: 500, currency: 'KRW' } });
    const everyone = crowd(s.tenant, s.eventId, 300, p);
    // Three arrivals: several deciding transactions, so several CouponsIssued rows.
    for (const part of [everyone.slice(0, 100), everyone.slice(100, 200), everyone.slice(200)]) {
      await produce(s, part);
    }
    await coupons.until((items) => items.length >= 250, 60_000, '250 CouponIssued events');
    await eventually(
      async () => (await outboxRows(s)).every((r) => r.published),
      30_000,
      'every outbox row marked published',
    );

    const rows = await outboxRows(s);
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.every((r) => r.kind === 'CouponsIssued')).toBe(true);
    const committed = await committedEvents(s);
    expect(committed.size).toBe(250);
    expectPublishedExactly(committed, coupons.items);
    // No fault, no republishing: exactly one record per coupon.
    expect([...copiesById(coupons.items).values()].every((n) => n === 1)).toBe(true);

    // Each event says what its coupon's row and its sale's row say.
    const byId = new Map(coupons.items.map((item) => [item.event.id, item.event]));
    const stored = await issuedCoupons(s);
    expect(stored).toHaveLength(250);
    for (const c of stored) {
      const id = couponIdOf(c.saleId, c.serial);
      expect(byId.get(`${id}.issued`)).toEqual({
        type: 'CouponIssued',
        version: 1,
        id: `${id}.issued`,
        sequence: committed.get(`${id}.issued`),
        occurredAt: c.issuedAt.toISOString(),
        tenant: s.tenant,
        eventId: s.eventId,
        coupon: { id, code: c.code, serial: c.serial, userId: c.userId },
        requestId: c.requestId,
        ticket: c.ticket,
        discount: { type: 'fixed', amount: 500, currency: 'KRW' },
        validFrom: c.validFrom.toISOString(),
        validUntil: c.validUntil.toISOString(),
      });
    }
    expect(await metric(issuer, 'outbox_relay_active')).toBe(1);
    expect(
      metricValue(
        await issuer.metrics.registry.metrics(),
        'rediclaim_issuer_outbox_events_published_total\\{type="CouponIssued"\\}',
      ),
    ).toBe(250);
    await eventually(
      async () => (await metric(issuer, 'outbox_pending_rows')) === 0,
      10_000,
      'no pending rows reported',
    );
  });

  it('publishes Event rows once committed, with their row id as sequence, a lower id committed after a higher one included, and nothing of a rolled-back transaction', async () => {
    const [first, second, third, fourth] = await issuedCoupons(s);
    const sale = { tenant: s.tenant, eventId: s.eventId };
    const [late] = redeemedAndReleased(first!, sale, 1, new Date());
    const [early] = redeemedAndReleased(second!, sale, 2, new Date());
    const [rolledBack] = redeemedAndReleased(third!, sale, 3, new Date());
    const [marker] = redeemedAndReleased(fourth!, sale, 4, new Date());
    const conns: Connection[] = await Promise.all([connect(s), connect(s), connect(s)]);
    const [a, b, c] = conns as [Connection, Connection, Connection];
    try {
      // A takes the lower id and commits last; C's row never commits.
      await a.beginTransaction();
      const [lower] = await a.query<ResultSetHeader>(eventOutboxInsert(late, new Date()));
      const [higher] = await b.query<ResultSetHeader>(eventOutboxInsert(early, new Date()));
      await c.beginTransaction();
      await c.query(eventOutboxInsert(rolledBack, new Date()));
      expect(lower.insertId).toBeLessThan(higher.insertId);

      await coupons.until((items) => published(items, early.id).length > 0, 30_000, 'B');
      // The relay has read past the uncommitted row: it publishes nothing of it yet.
      expect(published(coupons.items, late.id)).toEqual([]);
      await c.rollback();
      await a.commit();
      await insertEvents(s, [marker]);
      await coupons.until(
        (items) => published(items, late.id).length > 0 && published(items, marker.id).length > 0,
        30_000,
        'A after its commit, and the marker',
      );
      expect(published(coupons.items, early.id).map((p) => p.event)).toEqual([
        { ...early, sequence: higher.insertId },
      ]);
      expect(published(coupons.items, late.id).map((p) => p.event)).toEqual([
        { ...late, sequence: lower.insertId },
      ]);
      // Rows committed after the rollback are out; the rolled-back one never existed.
      expect(published(coupons.items, rolledBack.id)).toEqual([]);
      expect((await outboxRows(s)).map((r) => (r.payload as { id?: string }).id)).not.toContain(
        rolledBack.id,
      );
      expectPublishedExactly(await committedEvents(s), coupons.items);
    } finally {
      await Promise.all(conns.map((conn) => conn.end().catch(() => conn.destroy())));
    }
  });

  it('marks a row it cannot publish Invalid, says and counts so, and publishes the rows after it', async () => {
    const [coupon] = await issuedCoupons(s);
    const [, released] = redeemedAndReleased(
      coupon!,
      { tenant: s.tenant, eventId: s.eventId },
      1,
      new Date(),
    );
    const saleId = coupon!.saleId;
    const conn = await connect(s);
    let ids: number[];
    try {
      const insert = async (kind: string, payload: unknown) => {
        const [r] = await conn.query<ResultSetHeader>(
          'INSERT INTO coupon_outbox (kind, payload, created_at) VALUES (?, ?, NOW(3))',
          [kind, JSON.stringify(payload)],
        );
        return r.insertId;
      };
      ids = [
        // A redemption event missing most of its fields.
        await insert('Event', { type: 'CouponRedeemed', version: 1, id: 'rdm_9.redeemed' }),
        // Serials nobody was issued.
        await insert('CouponsIssued', { saleId, ranges: [[90_000, 90_001]] }),
        await insert('Mystery', {}),
      ];
    } finally {
      await conn.end();
    }
    await insertEvents(s, [released]);
    await coupons.until((items) => published(items, released.id).length > 0, 30_000, 'release');
    // Rows are marked once their group's events are acknowledged.
    await eventually(
      async () => (await outboxRows(s)).every((r) => r.published),
      30_000,
      'every row marked',
    );

    const rows = new Map((await outboxRows(s)).map((r) => [r.id, r]));
    for (const id of ids)
      expect(rows.get(id)).toMatchObject({ kind: INVALID_KIND, published: true });
    expect(coupons.items.filter((p) => p.event.id === 'rdm_9.redeemed')).toEqual([]);
    expect(coupons.items.filter((p) => p.event.coupon.id === couponIdOf(saleId, 90_000))).toEqual(
      [],
    );
    expect(await metric(issuer, 'outbox_invalid_rows_total')).toBe(3);
    const errors = logs.lines().filter((l) => l.level === 50 && 'outboxId' in l);
    expect(errors.map((l) => l.outboxId).sort()).toEqual([...ids].sort());
    expect(errors.map((l) => String(l.reason))).toEqual([
      expect.stringContaining('its event is invalid: '),
      'its ranges name 2 coupons of sale ' + saleId + ', and issued_coupons holds 0 of them',
      "its kind 'Mystery' is not one the relay knows",
    ]);
    expectPublishedExactly(await committedEvents(s), coupons.items);
  });
});

describe('a relay on its own', () => {
  it('publishes at once when nudged, and purges published rows after the retention but not invalid ones', async () => {
    const s = await scenario('outbox-purge', 2);
    const ds = createDataSource({ url: s.db.url, dialect: 'mariadb', poolSize: 2 });
    await ds.initialize();
    await migrate(ds);
    await ds.destroy();
    const coupons = await couponEventReader(s);
    const metrics = new IssuerMetrics();
    const relay = new OutboxRelay({
      mysqlUrl: s.db.url,
      kafka: s.kafka,
      topic: s.topics.coupons,
      batchRows: 10,
      // Longer than any wait below: what is published was nudged.
      pollIntervalMs: 60_000,
      retentionHours: 0,
      queryTimeoutMs: 10_000,
      backoff: { baseMs: 50, capMs: 500 },
      metrics,
      logger: createLogger('silent'),
      purgeIntervalMs: 10,
    });
    // Events of coupons that need not exist: the relay builds nothing from them.
    const events = Array.from({ length: 3 }, (_, i) =>
      redeemedAndReleased(
        { saleId: 1, serial: i + 1, code: `C-${i}`, userId: `u${i}` },
        { tenant: 'shop', eventId: 'purged', uid: 'uid-1' },
        i + 1,
        new Date(),
      ),
    ).flat();
    try {
      // The first poll, at start, finds the first coupon's events and an invalid row.
      await insertEvents(s, events.slice(0, 2));
      const conn = await connect(s);
      await conn.query(
        "INSERT INTO coupon_outbox (kind, payload, created_at) VALUES ('Event', '{}', NOW(3))",
      );
      await conn.end();
      relay.start();
      await coupons.until((items) => items.length >= 2, 30_000, 'the first poll');
      expect(relay.active).toBe(true);
      // The relay has polled (it produced what it read) and waits a minute for the
      // next: these are published because it is nudged, well within that minute.
      await insertEvents(s, events.slice(2));
      relay.nudge();
      await coupons.until((items) => items.length >= 6, 20_000, 'the nudged events');
      expect(coupons.items.map((p) => p.event.id).sort()).toEqual(events.map((e) => e.id).sort());
      expectOrderedPerCoupon(coupons.items);
      expect(coupons.items.every((p) => p.event.uid === 'uid-1')).toBe(true);
      // Published rows go at the next purges (retention 0); the invalid one stays.
      await eventually(
        async () => {
          relay.nudge();
          const rows = await outboxRows(s);
          return rows.length === 1;
        },
        20_000,
        'the published rows purged',
      );
      expect((await outboxRows(s))[0]).toMatchObject({ kind: INVALID_KIND, published: true });
    } finally {
      await relay.stop();
      await coupons.stop();
      await closeScenario(s);
    }
    expect(relay.active).toBe(false);
  });
});

describe('the outbox relays of two issuers', () => {
  it('lets one relay at a time publish, and the other take over when it stops', async () => {
    const s = await scenario('outbox-two', 4);
    const coupons = await couponEventReader(s);
    const fast = { OUTBOX_POLL_INTERVAL_MS: '50' };
    const issuers = [await startIssuer(s, fast), await startIssuer(s, fast)];
    const actives = () => Promise.all(issuers.map((i) => metric(i, 'outbox_relay_active')));
    try {
      await eventually(
        async () => (await actives()).sort().join() === '0,1',
        30_000,
        'one relay active, one standing by',
      );
      // The database agrees: one session holds the lock.
      const [holder] = await query<{ id: number | null }>(s, 'SELECT IS_USED_LOCK(?) AS id', [
        relayLockName(s.db.name),
      ]);
      expect(holder!.id).not.toBeNull();

      const p = policy({ stock: 400 });
      const everyone = crowd(s.tenant, s.eventId, 400, p);
      await produce(s, everyone.slice(0, 200));
      await coupons.until((items) => items.length >= 200, 60_000, 'the first 200 events');
      expect((await actives()).sort().join()).toBe('0,1');

      const active = (await actives()).indexOf(1);
      const standby = issuers[1 - active]!;
      await issuers[active]!.stop();
      await eventually(
        async () => (await metric(standby, 'outbox_relay_active')) === 1,
        30_000,
        'the standby taking over',
      );
      await produce(s, everyone.slice(200));
      await coupons.until((items) => items.length >= 400, 60_000, 'all 400 events');
      const byType = metricValue(
        await standby.metrics.registry.metrics(),
        'rediclaim_issuer_outbox_events_published_total\\{type="CouponIssued"\\}',
      );
      expect(byType).toBeGreaterThanOrEqual(200);
      await eventually(
        async () => (await outboxRows(s)).every((r) => r.published),
        30_000,
        'every row marked',
      );
      expectPublishedExactly(await committedEvents(s), coupons.items);
    } finally {
      await Promise.all(issuers.map((i) => i.stop()));
      await coupons.stop();
      await closeScenario(s);
    }
  }, 120_000);
});

/** Decides a crowd with an issuer that does not relay: a backlog of CouponsIssued rows. */
async function backlog(s: Scenario, n: number): Promise<OutboxRecord[]> {
  // Small sends, fetches and transactions: many transactions, so many rows (a fetch
  // returns whole record batches, and a send makes one per partition).
  const decider = await startIssuer(s, {
    OUTBOX_RELAY: 'false',
    ISSUER_FETCH_MAX_BYTES_PER_PARTITION: '16384',
    ISSUER_MAX_TRANSACTION_REQUESTS: '500',
  });
  try {
    const everyone = crowd(s.tenant, s.eventId, n, policy({ stock: n }));
    for (let i = 0; i < n; i += 250) await produce(s, everyone.slice(i, i + 250));
    await eventually(async () => (await ledgerOf(s)).issued === n, 90_000, 'the backlog decided');
  } finally {
    await decider.stop();
  }
  return outboxRows(s);
}

/** The sessions running an UPDATE of coupon_outbox: a relay marking rows. */
function markingSessions(s: Scenario): Promise<{ id: number }[]> {
  return query<{ id: number }>(
    s,
    `SELECT ID AS id FROM information_schema.PROCESSLIST
      WHERE DB = ? AND INFO LIKE 'UPDATE coupon_outbox%'`,
    [s.db.name],
  );
}

/** Redeemed and released events, committed one by one, for the coupons of these serials. */
async function redeemAndRelease(s: Scenario, serials: ReadonlySet<number>): Promise<void> {
  const chosen = (await issuedCoupons(s)).filter((c) => serials.has(c.serial));
  const sale = { tenant: s.tenant, eventId: s.eventId };
  await insertEvents(
    s,
    chosen.flatMap((c, i) => redeemedAndReleased(c, sale, i + 1, new Date())),
  );
}

// Issuer processes (issuer/dist/main.js, run as in production). Build first: npx tsc -b issuer.
describe('the outbox relay in issuer processes', () => {
  it('publishes every committed event and keeps each coupon in order when the active relay is killed with SIGKILL mid-backlog', async () => {
    const s = await scenario('outbox-kill', 6);
    const coupons = await couponEventReader(s);
    let victim: Awaited<ReturnType<typeof startIssuerProcess>> | undefined;
    let survivor: typeof victim;
    const conn = await connect(s);
    try {
      const issued = (await backlog(s, 20_000)).filter((r) => r.kind === 'CouponsIssued');
      expect(issued.length).toBeGreaterThanOrEqual(20);
      // The middle row, and coupons of it and of the row after it redeemed and released.
      const middle = issued[Math.floor(issued.length / 2)]!;
      const serialsOf = (row: OutboxRecord) =>
        (row.payload as { ranges: [number, number][] }).ranges.flatMap(([from, to]) =>
          Array.from({ length: to - from + 1 }, (_, i) => from + i),
        );
      const next = issued[Math.floor(issued.length / 2) + 1]!;
      await redeemAndRelease(
        s,
        new Set([...serialsOf(middle).slice(0, 50), ...serialsOf(next).slice(0, 50)]),
      );

      // The relay will produce the middle row's group, then wait to mark it on this lock:
      // killed there, it has published rows it did not mark.
      await conn.beginTransaction();
      await conn.query('SELECT id FROM coupon_outbox WHERE id = ? FOR UPDATE', [middle.id]);
      victim = await startIssuerProcess(s);
      const marking = () => markingSessions(s);
      await eventually(async () => (await marking()).length > 0, 60_000, 'the relay marking');
      expect(await victim.stop('SIGKILL')).toBe(null);
      // The server would end the dead process's session when its lock wait gave up;
      // ending it now keeps the test short (and its UPDATE from committing after all).
      for (const { id } of await marking()) await conn.query(`KILL ${Number(id)}`);
      await conn.rollback();

      const atKill = await outboxRows(s);
      const middleAt = atKill.find((r) => r.id === middle.id)!;
      expect(middleAt.published).toBe(false);
      expect(atKill.filter((r) => r.published).length).toBeGreaterThan(0);
      expect(atKill.filter((r) => !r.published).length).toBeGreaterThan(1);
      const middleEvent = `${couponIdOf(
        (middle.payload as { saleId: number }).saleId,
        serialsOf(middle)[0]!,
      )}.issued`;
      await coupons.until(
        (items) => published(items, middleEvent).length > 0,
        30_000,
        'the middle row produced before the kill',
      );

      // The relay needs no place in the consumer group, which waits out the dead member.
      survivor = await startIssuerProcess(s, {}, { until: 'live' });
      const committed = await committedEvents(s);
      await eventually(
        async () => (await outboxRows(s)).every((r) => r.published),
        90_000,
        'every row marked by the new relay',
      );
      await coupons.until(
        (items) => new Set(items.map((p) => p.event.id)).size >= committed.size,
        60_000,
        'every committed event read',
      );
      expectPublishedExactly(committed, coupons.items);
      // What the killed relay produced and did not mark went out again.
      expect(copiesById(coupons.items).get(middleEvent)).toBe(2);
      expect(survivor.logs()).toMatch(/"msg":"outbox relay active"/);
      // On SIGTERM the relay lets go of the lock at once; the process itself then waits
      // on its consumer, whose group still waits out the killed member.
      process.kill(survivor.pid, 'SIGTERM');
      await eventually(
        () => survivor!.logs().includes('"msg":"outbox relay stopped; lock released"'),
        20_000,
        'the relay stopped',
      );
    } finally {
      await victim?.stop('SIGKILL');
      await survivor?.stop('SIGKILL');
      await conn.end().catch(() => conn.destroy());
      await coupons.stop();
      await closeScenario(s);
    }
  }, 240_000);
});

// A Kafka of its own, stopped and started under a relay with a backlog in hand.
describe('an outbox relay whose broker goes away mid-backlog', () => {
  let stack: PrivateStack;
  beforeAll(async () => {
    stack = await startPrivateStack('outbox', ['kafka']);
  }, 180_000);
  afterAll(async () => {
    await stack?.destroy();
  }, 60_000);

  it('backs off, starts over when the broker is back, and loses nothing', async () => {
    const s = await scenario('outbox-broker', 4, stack.env.kafkaBrokers);
    let coupons: TopicReader<Published> | undefined;
    const logs = capturingLogger();
    const conn = await connect(s);
    let issuer: Issuer | undefined;
    try {
      const issued = (await backlog(s, 10_000)).filter((r) => r.kind === 'CouponsIssued');
      // The relay stops at marking the middle row's group until the broker is down:
      // then it has the rest of the backlog still to publish.
      const middle = issued[Math.floor(issued.length / 2)]!;
      await conn.beginTransaction();
      await conn.query('SELECT id FROM coupon_outbox WHERE id = ? FOR UPDATE', [middle.id]);
      issuer = await startIssuer(s, { OUTBOX_BATCH_ROWS: '4' }, logs.logger);
      await eventually(
        async () => (await markingSessions(s)).length > 0,
        60_000,
        'the relay marking',
      );
      await stack.stack('down', 'kafka');
      await conn.rollback();
      // Committed while the broker is away, too.
      await redeemAndRelease(s, new Set(Array.from({ length: 50 }, (_, i) => i + 1)));
      await eventually(
        async () => (await metric(issuer!, 'outbox_publish_failures_total')) >= 1,
        60_000,
        'a failed attempt',
      );
      expect((await outboxRows(s)).filter((r) => !r.published).length).toBeGreaterThan(100);
      expect(await metric(issuer, 'outbox_relay_active')).toBe(0);
      await stack.stack('up', 'kafka');

      const committed = await committedEvents(s);
      expect(committed.size).toBe(10_000 + 100);
      // A reader of the whole topic from now (the test's own consumer is not under test).
      coupons = await couponEventReader(s);
      await eventually(
        async () => (await outboxRows(s)).every((r) => r.published),
        90_000,
        'every row marked',
      );
      const items = await coupons.until(
        (read) => new Set(read.map((p) => p.event.id)).size >= committed.size,
        60_000,
        'every committed event read',
      );
      expectPublishedExactly(committed, items);
      expect(await metric(issuer, 'outbox_relay_active')).toBe(1);
      expect(
        logs
          .lines()
          .some(
            (l) =>
              l.msg ===
              'outbox relay failed; starting over with a new session (rows not marked are published again)',
          ),
      ).toBe(true);
    } finally {
      await issuer?.stop();
      await conn.end().catch(() => conn.destroy());
      await coupons?.stop();
      await closeScenario(s);
    }
  }, 240_000);
});
