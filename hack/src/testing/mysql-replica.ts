import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { StackEnv } from './env.js';

const run = promisify(execFile);

/** One server of a stack's replicated pair (hack/stack RC_MYSQL_REPLICA=1). */
export interface MysqlServer {
  host: string;
  port: number;
  /** Root logs in here only (Debian's socket authentication). */
  socket: string;
  pidFile: string;
}

/** The pair of a stack started with `mysqlReplica`: as started, before any promotion. */
export function mysqlPairOf(env: StackEnv): { primary: MysqlServer; replica: MysqlServer } {
  if (!env.mysqlReplica || !env.mariadbReplicaPidFile)
    throw new Error(`stack ${env.stack} has no MariaDB replica (start it with mysqlReplica)`);
  return {
    primary: { ...env.mysql, pidFile: env.mariadbPidFile },
    replica: { ...env.mysqlReplica, pidFile: env.mariadbReplicaPidFile },
  };
}

/**
 * MYSQL_HOSTS for the pair, the replica first: a client must find the primary, not take
 * the first server listed.
 */
export function mysqlHostsOf(env: StackEnv): string {
  const { primary, replica } = mysqlPairOf(env);
  return [replica, primary].map((s) => `${s.host}:${s.port}`).join(',');
}

/** mysql://user:password@host:port/database on one server of the stack (its user). */
export function mysqlUrlOn(
  env: StackEnv,
  server: { host: string; port: number },
  database: string,
) {
  const { user, password } = env.mysql;
  return `mysql://${user}:${password}@${server.host}:${server.port}/${database}`;
}

/** Runs SQL as root on one server; the rows, each a list of tab-separated values. */
export async function mysqlRoot(server: { socket: string }, sql: string): Promise<string[][]> {
  const { stdout } = await run(
    'mariadb',
    ['--no-defaults', '-S', server.socket, '-u', 'root', '-N', '-B', '-e', sql],
    { timeout: 30_000 },
  );
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

/** What the primary says of its semi-synchronous replication. */
export interface SemiSync {
  /** Rpl_semi_sync_master_status: ON, not fallen back to asynchronous. */
  on: boolean;
  /** Replicas connected semi-synchronously. */
  clients: number;
  /** Commits a replica acknowledged, and commits that went out without (after a timeout). */
  acknowledged: number;
  unacknowledged: number;
  waitPoint: string;
}

export async function semiSyncOf(server: { socket: string }): Promise<SemiSync> {
  const rows = await mysqlRoot(
    server,
    `SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
       WHERE VARIABLE_NAME LIKE 'RPL_SEMI_SYNC_MASTER_%'
     UNION ALL SELECT 'WAIT_POINT', @@global.rpl_semi_sync_master_wait_point`,
  );
  const value = new Map(rows.map(([name, v]) => [name!.toUpperCase(), v ?? '']));
  return {
    on: value.get('RPL_SEMI_SYNC_MASTER_STATUS') === 'ON',
    clients: Number(value.get('RPL_SEMI_SYNC_MASTER_CLIENTS')),
    acknowledged: Number(value.get('RPL_SEMI_SYNC_MASTER_YES_TX')),
    unacknowledged: Number(value.get('RPL_SEMI_SYNC_MASTER_NO_TX')),
    waitPoint: value.get('WAIT_POINT') ?? '',
  };
}
