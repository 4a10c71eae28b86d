import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, type StackEnv } from './env.js';
import { uniqueName } from './names.js';
import { freePorts } from './free-ports.js';

const run = promisify(execFile);

export type Component = 'redis' | 'mariadb' | 'kafka' | 'apiserver';

export interface PrivateStack {
  env: StackEnv;
  /**
   * Runs `hack/stack <command> <components>` against this stack (`promote mariadb`: the
   * replica of a stack with mysqlReplica becomes the primary).
   */
  stack(command: 'up' | 'down' | 'restart' | 'promote', ...components: Component[]): Promise<void>;
  /** Stops everything and deletes the stack's data. */
  destroy(): Promise<void>;
}

export interface PrivateStackOptions {
  /**
   * Servers that speak TLS only (hack/lib/tls.sh's certificates): Redis on a TLS port
   * with ACL users (env.redisTls); MariaDB with require_secure_transport (env.mysqlTls).
   */
  tls?: boolean;
  /** With tls: MariaDB presents the certificate for another name (identity checks fail). */
  mysqlServerCert?: 'server' | 'wrong-host';
  /** Kafka reached only through a SASL_SSL listener, SCRAM-SHA-512 users (env.kafkaSasl). */
  kafkaSasl?: boolean;
  /** A Kafka cluster of this many nodes, each broker and controller (env.kafkaNodes). */
  kafkaNodes?: 1 | 3;
  /**
   * With mariadb: a second MariaDB replicating from the first (GTID, semi-synchronous,
   * AFTER_SYNC), read-only until promoted (env.mysqlReplica, env.mariadbReplicaPidFile).
   */
  mysqlReplica?: boolean;
  /**
   * Redis as a Redis Cluster of three masters and three replicas instead of one server
   * (env.redisCluster).
   */
  redisCluster?: boolean;
}

/**
 * Real servers of its own for a test that breaks them (kills Kafka, restarts MariaDB):
 * separate processes, ports and data, so no other suite notices. Slower to start
 * than the shared test stack; use it only for fault tests.
 */
export async function startPrivateStack(
  prefix: string,
  components: Component[],
  options: PrivateStackOptions = {},
): Promise<PrivateStack> {
  const name = uniqueName(`p-${prefix}`).toLowerCase();
  const stateDir = path.join(repoRoot, '.rediclaim', 'private', name);
  const [redis, mysql, kafka, kafkaController, apiserver, etcd, etcdPeer] = await freePorts(7);
  const [mysqlReplica] = options.mysqlReplica ? await freePorts(1) : [];
  const nodes = options.kafkaNodes ?? 1;
  const morePorts = await freePorts(2 * (nodes - 1));
  // Nodes 2..n: a broker and a controller port each (hack/stack's RC_KAFKA_PORT_<n>).
  const kafkaNodePorts = Object.fromEntries(
    Array.from({ length: nodes - 1 }, (_, i) => [
      [`RC_KAFKA_PORT_${i + 2}`, String(morePorts[2 * i])],
      [`RC_KAFKA_CONTROLLER_PORT_${i + 2}`, String(morePorts[2 * i + 1])],
    ]).flat(),
  );
  // Six nodes, a client port and a cluster bus port each (hack/stack's RC_REDIS_NODE_PORT_<n>).
  const clusterPorts = options.redisCluster ? await freePorts(12) : [];
  const redisNodePorts = Object.fromEntries(
    Array.from({ length: clusterPorts.length / 2 }, (_, i) => [
      [`RC_REDIS_NODE_PORT_${i + 1}`, String(clusterPorts[2 * i])],
      [`RC_REDIS_BUS_PORT_${i + 1}`, String(clusterPorts[2 * i + 1])],
    ]).flat(),
  );
  const env = {
    ...process.env,
    RC_STACK: name,
    RC_STATE_DIR: stateDir,
    RC_REDIS_PORT: String(redis),
    RC_MYSQL_PORT: String(mysql),
    RC_KAFKA_PORT: String(kafka),
    RC_KAFKA_CONTROLLER_PORT: String(kafkaController),
    RC_APISERVER_PORT: String(apiserver),
    RC_ETCD_PORT: String(etcd),
    RC_ETCD_PEER_PORT: String(etcdPeer),
    RC_KAFKA_HEAP: '512m',
    RC_KAFKA_NODES: String(nodes),
    ...kafkaNodePorts,
    ...(options.redisCluster ? { RC_REDIS_CLUSTER: '1', ...redisNodePorts } : {}),
    ...(options.tls ? { RC_REDIS_TLS: '1' } : {}),
    ...(options.tls
      ? { RC_MYSQL_TLS: '1', RC_MYSQL_TLS_CERT: options.mysqlServerCert ?? 'server' }
      : {}),
    ...(options.kafkaSasl ? { RC_KAFKA_SASL: '1' } : {}),
    ...(mysqlReplica ? { RC_MYSQL_REPLICA: '1', RC_MYSQL_REPLICA_PORT: String(mysqlReplica) } : {}),
  };
  const stack = async (command: string, ...list: Component[]) => {
    await run(path.join(repoRoot, 'hack/stack'), [command, ...list], { env, timeout: 180_000 });
  };
  const destroy = async () => {
    await stack('down').catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  };
  let stackEnv: StackEnv;
  try {
    await stack('up', ...components);
    stackEnv = JSON.parse(readFileSync(path.join(stateDir, 'env.json'), 'utf8')) as StackEnv;
  } catch (error) {
    // Whatever started before the failure would outlive the suite (nobody holds it).
    await destroy();
    throw error;
  }
  return { env: stackEnv, stack, destroy };
}
