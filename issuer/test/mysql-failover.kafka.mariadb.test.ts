import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  mysqlHostsOf,
  mysqlPairOf,
  mysqlRoot,
  semiSyncOf,
  startPrivateStack,
  type MysqlServer,
  type PrivateStack,
} from '@rediclaim/hack/testing';
import type { Issuer } from '@rediclaim/issuer';
import mysql from 'mysql2/promise';
import { eventually } from './support/eventually.js';
import { expectInvariants } from './support/invariants.js';
import { startIssuer } from './support/issuers.js';
import { ledgerOf } from './support/ledger.js';
import { metricValue } from './support/metrics.js';
import { crowd, policy } from './support/requests.js';
import { resultReader } from './support/results.js';
import { closeScenario, produce, scenarioOn, type Scenario } from './support/scenario.js';

/** The scenario with its database read on `server` (the same database, replicated). */
const on = (s: Scenario, server: MysqlServer): Scenario => ({
  ...s,
  db: { ...s.db, host: server.host, port: server.port },
});

const readOnly = (server: MysqlServer, on: boolean) =>
  mysqlRoot(server, `SET GLOBAL read_only=${on ? 'ON' : 'OFF'}`);

/** The issuer's own sessions on a server: pool and relay connections name the database. */
async function sessionsOn(server: MysqlServer, database: string): Promise<number> {
  const rows = await mysqlRoot(
    server,
    `SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '${database}'`,
  );
  return Number(rows[0]![0]);
}

const metric = async (issuer: Issuer, name: string) =>
  metricValue(await issuer.metrics.registry.metrics(), name);

const answeredFor = (results: { items: { requestId: string }[] }) =>
  new Set(results.items.map((r) => r.requestId)).size;

// A MariaDB primary with a semi-synchronous GTID replica of its own (hack/stack
// RC_MYSQL_REPLICA=1), and an issuer told both (MYSQL_HOSTS, the replica first): it
// must write only where writes are taken, follow a switchover, and refuse to write
// while two servers take writes. The primary killed mid-sale: hack/test/e2e/mysql-failover.test.ts.
describe('an issuer following the primary of a replicated MariaDB', () => {
  let stack: PrivateStack;
  let primary: MysqlServer;
  let replica: MysqlServer;
  let s: Scenario;
  const stock = 1_500;
  const everyone = () => crowd(s.tenant, s.eventId, 3_000, policy({ stock }));

  beforeAll(async () => {
    stack = await startPrivateStack('issuer-failover', ['mariadb', 'kafka'], {
      mysqlReplica: true,
    });
    ({ primary, replica } = mysqlPairOf(stack.env));
    s = await scenarioOn('failover', stack);
  }, 180_000);
  afterAll(async () => {
    if (s) await closeScenario(s, false);
    await stack?.destroy();
  }, 60_000);

  it('replicates semi-synchronously (AFTER_SYNC), and the replica refuses the application’s writes', async () => {
    expect(await semiSyncOf(primary)).toMatchObject({
      on: true,
      clients: 1,
      unacknowledged: 0,
      waitPoint: 'AFTER_SYNC',
    });
    // The test's database, created on the primary, is on the replica too.
    await eventually(
      async () => (await mysqlRoot(replica, `SHOW DATABASES LIKE '${s.db.name}'`)).length === 1,
      10_000,
      'the database on the replica',
    );
    const conn = await mysql.createConnection({
      host: replica.host,
      port: replica.port,
      user: s.db.user,
      password: s.db.password,
      database: s.db.name,
    });
    try {
      await expect(conn.query('CREATE TABLE not_here (id INT PRIMARY KEY)')).rejects.toMatchObject({
        code: 'ER_OPTION_PREVENTS_STATEMENT',
        errno: 1290,
      });
    } finally {
      await conn.end();
    }
  });

  it('writes to the primary whatever the order of MYSQL_HOSTS, and follows a switchover when a write meets the demoted server', async () => {
    const results = await resultReader(s);
    const requests = everyone();
    // Checks of its own every ten minutes: only a refused write (a batch's, or the outbox
    // relay's poll, which may come first) can send it looking.
    const issuer = await startIssuer(s, {
      MYSQL_HOSTS: mysqlHostsOf(stack.env),
      MYSQL_CHECK_INTERVAL_MS: '600000',
    });
    try {
      await produce(s, requests.slice(0, 1_000));
      await results.until((r) => answeredFor({ items: r }) >= 1_000, 60_000, 'the first answers');
      const before = semiSyncOf(primary);
      expect((await ledgerOf(on(s, primary))).issued).toBe(1_000);
      expect((await before).unacknowledged).toBe(0);
      expect(await sessionsOn(primary, s.db.name)).toBeGreaterThan(0);
      expect(await sessionsOn(replica, s.db.name)).toBe(0);

      // A switchover as an operator does it: the primary made read-only, the replica
      // promoted once it applied everything. No batch comes meanwhile.
      await readOnly(primary, true);
      await stack.stack('promote', 'mariadb');

      await produce(s, requests.slice(1_000));
      await results.until(
        (r) => answeredFor({ items: r }) >= requests.length,
        60_000,
        'an answer for every request',
      );
      await expectInvariants(on(s, replica), requests, results.items, stock);
      // Nothing was written to the demoted server, and the issuer left it.
      expect((await ledgerOf(on(s, primary))).issued).toBe(1_000);
      await eventually(
        async () => (await sessionsOn(primary, s.db.name)) === 0,
        10_000,
        'no session of the issuer left on the old primary',
      );
      expect(await sessionsOn(replica, s.db.name)).toBeGreaterThan(0);
      expect(await metric(issuer, 'rediclaim_issuer_mysql_primary_changes_total')).toBe(1);
      expect(await metric(issuer, 'rediclaim_issuer_mysql_up')).toBe(1);
    } finally {
      await issuer.stop();
      await results.stop();
    }
  }, 180_000);

  it('stops writing while two servers take writes (a split brain), and goes on once one is fenced', async () => {
    // Runs after the switchover: the replica is the primary, the old one read-only.
    const eventId = `${s.eventId}-split`;
    const requests = crowd(s.tenant, eventId, 600, policy({ stock: 400 }));
    const results = await resultReader(s);
    const forEvent = () => results.items.filter((r) => r.eventId === eventId);
    const issuer = await startIssuer(s, {
      MYSQL_HOSTS: mysqlHostsOf(stack.env),
      MYSQL_CHECK_INTERVAL_MS: '300',
    });
    try {
      await produce(s, requests.slice(0, 200));
      await results.until(() => answeredFor({ items: forEvent() }) >= 200, 60_000, 'answers');

      await readOnly(primary, false);
      await eventually(
        async () => !(await issuer.readiness()).checks.database!.ok,
        10_000,
        'the issuer to find two primaries',
      );
      const report = await issuer.readiness();
      expect(report.checks.database!.detail).toContain(
        `last: MYSQL_SEVERAL_PRIMARIES: ${replica.host}:${replica.port} and ${primary.host}:${primary.port} all take writes (read_only off)`,
      );
      await produce(s, requests.slice(200));
      await new Promise((r) => setTimeout(r, 3_000));
      expect(answeredFor({ items: forEvent() })).toBe(200);

      // Fenced again: the one primary left is found, and the rest is decided there.
      await readOnly(primary, true);
      await results.until(
        () => answeredFor({ items: forEvent() }) >= requests.length,
        60_000,
        'an answer for every request',
      );
      await expectInvariants(on(s, replica), requests, results.items, 400, eventId);
      expect((await ledgerOf(on(s, primary), eventId)).issued).toBe(0);
      expect((await issuer.readiness()).checks.database).toEqual({ ok: true });
    } finally {
      await issuer.stop();
      await results.stop();
    }
  }, 120_000);
});
