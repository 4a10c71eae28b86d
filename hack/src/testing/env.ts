import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where hack/stack says the servers of one stack listen (its env.json). */
export interface StackEnv {
  stack: string;
  portBase: number;
  stateDir: string;
  redisUrl: string;
  /** A Redis started with RC_REDIS_TLS=1 (rediss:// redisUrl); null otherwise. */
  redisTls: RedisTlsEnv | null;
  /**
   * The nodes of a stack started with RC_REDIS_CLUSTER=1 (three masters, three replicas,
   * in place of the single Redis; `redisUrl` then names the first node); null otherwise.
   */
  redisCluster?: { nodes: RedisClusterNode[] } | null;
  mysql: { host: string; port: number; user: string; password: string; socket: string };
  /** A MariaDB started with RC_MYSQL_TLS=1 (TLS only, users REQUIRE SSL); null otherwise. */
  mysqlTls: MysqlTlsEnv | null;
  /**
   * The second MariaDB of a stack started with RC_MYSQL_REPLICA=1: a read-only,
   * semi-synchronous GTID replica of `mysql` until `hack/stack promote mariadb` makes it
   * the primary (same user and password); null otherwise.
   */
  mysqlReplica?: { host: string; port: number; socket: string } | null;
  kafkaBrokers: string[];
  /** Every Kafka node (hack/stack's RC_KAFKA_NODES): its id, broker port and pid file. */
  kafkaNodes: { id: number; port: number; pidFile: string }[];
  /** A Kafka started with RC_KAFKA_SASL=1 (SASL_SSL only); null otherwise. */
  kafkaSasl?: KafkaSaslEnv | null;
  kubeconfig: string;
  helm: string;
  kafkaPidFile: string;
  redisPidFile: string;
  mariadbPidFile: string;
  /** The replica's (mysqlReplica); null without one. */
  mariadbReplicaPidFile?: string | null;
  apiserverPidFile: string;
}

/** One node of a stack's Redis Cluster, as started (its role changes with failovers). */
export interface RedisClusterNode {
  host: string;
  port: number;
  pidFile: string;
}

/** How to reach a SASL_SSL Kafka (hack/stack's RC_KAFKA_SASL=1). */
export interface KafkaSaslEnv {
  mechanism: 'scram-sha-512';
  username: string;
  passwordFile: string;
  /** The authority that signed the broker's certificate. */
  caFile: string;
  /** An authority that signed nothing here: trusting only it must refuse the broker. */
  otherCaFile: string;
}

/** How to reach a TLS Redis as its ACL user (hack/stack's RC_REDIS_TLS=1). */
export interface RedisTlsEnv {
  /** The authority that signed the server's certificate (and the client's). */
  caFile: string;
  /** A client certificate and key for mutual TLS. */
  certFile: string;
  keyFile: string;
  /** An authority that signed nothing here: trusting only it must refuse the server. */
  otherCaFile: string;
  /** The ACL user the gate connects as; `default` is off. */
  username: string;
  passwordFile: string;
}

/** How to reach a TLS-only MariaDB (hack/stack's RC_MYSQL_TLS=1). */
export interface MysqlTlsEnv {
  /** The authority that signed the server's certificate (and the client's). */
  caFile: string;
  /** A client certificate and key signed by it. */
  certFile: string;
  keyFile: string;
  /** An authority that signed nothing here: trusting only it must refuse the server. */
  otherCaFile: string;
  /** The certificate the server presents: `server` (127.0.0.1, localhost) or `wrong-host`. */
  serverCert: 'server' | 'wrong-host';
}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let cached: StackEnv | undefined;

/** The stack the tests run against: RC_STACK (default "test"), started by global setup. */
export function stackEnv(): StackEnv {
  if (cached) return cached;
  const stack = process.env.RC_STACK ?? 'test';
  const file = path.join(repoRoot, '.rediclaim', stack, 'env.json');
  try {
    cached = JSON.parse(readFileSync(file, 'utf8')) as StackEnv;
  } catch (error) {
    throw new Error(
      `The '${stack}' stack is not set up (${file} is missing). Run "RC_STACK=${stack} hack/stack up" or "npm test".`,
      { cause: error },
    );
  }
  return cached;
}
