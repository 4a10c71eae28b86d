// The MariaDB primary killed with SIGKILL mid-sale and its semi-synchronous replica
// promoted, as an orchestrator would: the issuers follow the writable server
// (MYSQL_HOSTS) and the sale ends with every promise kept, checked against the promoted
// server. Semi-sync with AFTER_SYNC is what makes that hold: every decision the issuer
// published (only after its COMMIT returned) is on the replica. The servers are private
// to this file (hack/stack RC_MYSQL_REPLICA=1).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  mysqlHostsOf,
  mysqlPairOf,
  mysqlUrlOn,
  semiSyncOf,
  startPrivateStack,
  type PrivateStack,
} from '@rediclaim/hack/testing';
import { waitFor } from '../support/e2e.js';
import { saleSurvives } from '../support/sale-survives.js';

let stack: PrivateStack;

beforeAll(async () => {
  stack = await startPrivateStack('mysql-failover', ['redis', 'mariadb', 'kafka', 'apiserver'], {
    mysqlReplica: true,
  });
}, 240_000);

afterAll(async () => {
  await stack?.destroy();
});

/** Exited: no such process, or a zombie nobody reaped yet (its port is closed either way). */
const gone = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
};

/** Every issuer's count of primaries it followed, from its metrics. */
async function primaryChanges(adminUrls: string[]): Promise<number[]> {
  return Promise.all(
    adminUrls.map(async (url) => {
      const page = await (await fetch(`${url}/metrics`)).text();
      return Number(/^rediclaim_issuer_mysql_primary_changes_total (\S+)$/m.exec(page)?.[1]);
    }),
  );
}

describe('a sale whose MariaDB primary dies', () => {
  it('survives the primary killed with SIGKILL and the replica promoted, every promise checked on the new primary', async () => {
    const { primary, replica } = mysqlPairOf(stack.env);
    await saleSurvives(
      stack,
      'f-mysql-failover',
      async (e2e) => {
        // Every commit so far waited for the replica: none went out unacknowledged.
        expect(await semiSyncOf(primary)).toMatchObject({
          on: true,
          clients: 1,
          unacknowledged: 0,
          waitPoint: 'AFTER_SYNC',
        });
        // The issuers running now are the ones that must move (one the operator starts
        // later finds the promoted replica first).
        const issuers = e2e.platform.issuerAdminUrls();
        const pid = Number(readFileSync(primary.pidFile, 'utf8').trim());
        process.kill(pid, 'SIGKILL');
        await waitFor('the primary to exit', async () => gone(pid), 10_000);
        // What an orchestrator does: apply the relay log, stop replicating, take writes.
        await stack.stack('promote', 'mariadb');
        await waitFor(
          'every issuer to follow the promoted replica',
          async () => (await primaryChanges(issuers)).every((n) => n >= 1),
          60_000,
        );
      },
      {
        extraEnv: {
          issuer: {
            MYSQL_HOSTS: mysqlHostsOf(stack.env),
            ISSUER_RETRY_MAX_MS: '1000',
            MYSQL_CHECK_INTERVAL_MS: '1000',
          },
        },
        mysqlUrl: (e2e) => mysqlUrlOn(stack.env, replica, e2e.db.name),
      },
    );
  }, 300_000);
});
