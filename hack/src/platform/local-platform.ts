import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { StackEnv } from '../testing/env.js';
import { ensureCouponEventCrd } from '../testing/crd.js';
import { freePorts } from '../testing/free-ports.js';
import { kafkaSecurityEnv } from '../testing/kafka.js';
import { gateRedisEnv } from '../testing/redis.js';
import { startService, type ServiceProcess } from '../testing/services.js';
import { ensureDeployment, ensureNamespace } from './kube-objects.js';
import { ReplicaFollower } from './replica-follower.js';

export interface LocalPlatformOptions {
  env: StackEnv;
  /** Where the platform's ConfigMap, Deployments and Lease live (the chart's namespace). */
  namespace?: string;
  /** Gate replicas; each listens on its own ports (no load balancer here). */
  gates?: number;
  issuerMinReplicas?: number;
  issuerMaxReplicas?: number;
  /**
   * First port for the services: gate i gets base+10i (public) and base+10i+1 (admin),
   * operator j base+90+j, issuer i base+100+i. 'free' takes ports the OS says are
   * free (tests running side by side).
   */
  portBase?: number | 'free';
  /** Kafka topic names (default: the platform's own). Tests isolate with their own. */
  topics?: { issueRequests: string; issueResults: string; deadLetters: string; coupons?: string };
  /** Prefix of the consumer groups (default "rediclaim": rediclaim-gate, rediclaim-issuer). */
  groupPrefix?: string;
  /** The issuer's database on the stack's MariaDB (default "rediclaim"). */
  database?: string;
  /** Namespaces the operator watches (default: all). */
  watchNamespaces?: string[];
  logDir: string;
  logLevel?: string;
  /** Extra settings for every service (tests tune timeouts with these). */
  extraEnv?: Partial<Record<'gate' | 'issuer' | 'operator', Record<string, string>>>;
  onIssuerReplicas?: (count: number) => void;
}

export interface LocalPlatform {
  namespace: string;
  gateUrls: string[];
  gateAdminUrls: string[];
  operatorAdminUrl: string;
  /** Live gate and issuer processes; a killed one is restarted in its slot, as a kubelet would. */
  gates(): ServiceProcess[];
  issuers(): ServiceProcess[];
  operator: ServiceProcess;
  /** Another operator replica (leader election decides which one acts). */
  startOperator(name: string): Promise<ServiceProcess>;
  issuerReplicas(): number;
  issuerPids(): number[];
  /** Processes restarted after they died. */
  restarts(): { gates: number; issuers: number };
  kubeConfig: k8s.KubeConfig;
  mysqlUrl: string;
  /** Bearer token of the gates' internal API. */
  adminToken: string;
  /** REQUEST_SIGNING_KEYS of the gates and issuers (`id=secret`). */
  requestSigningKeys: string;
  /** The issuers' admin ports (metrics, probes), one per running replica slot. */
  issuerAdminUrls(): string[];
  /** The issuers' redemption APIs (one per replica slot), and a token acting for every tenant. */
  redemptionUrls(): string[];
  redemptionToken: string;
  stop(): Promise<void>;
}

export const EVENTS_CONFIGMAP = 'rediclaim-events';
export const ISSUER_DEPLOYMENT = 'rediclaim-issuer';
export const GATE_DEPLOYMENT = 'rediclaim-gate';

/**
 * The whole of rediclaim on one machine, as it runs in a cluster but with processes
 * for pods: operator, gates and issuers (as many as the operator scales the issuer
 * Deployment to) against the real Redis, Kafka, MariaDB and kube-apiserver of a stack.
 */
export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const { env, logDir } = options;
  const namespace = options.namespace ?? 'rediclaim';
  const gateCount = options.gates ?? 2;
  const fixedBase =
    options.portBase === 'free' ? undefined : (options.portBase ?? env.portBase + 10);
  const port = async (offset: number) =>
    fixedBase !== undefined ? fixedBase + offset : (await freePorts(1))[0]!;
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(env.kubeconfig);

  await ensureCouponEventCrd(kc);
  await ensureNamespace(kc, namespace);
  await ensureDeployment(kc, namespace, ISSUER_DEPLOYMENT, options.issuerMinReplicas ?? 1);
  await ensureDeployment(kc, namespace, GATE_DEPLOYMENT, gateCount);

  const { user, password } = env.mysql;
  // A TLS stack's MariaDB is verified by name: its certificate holds localhost (and mysql2
  // cannot check an IP address).
  const host = env.mysqlTls ? 'localhost' : env.mysql.host;
  const mysqlUrl = `mysql://${user}:${password}@${host}:${env.mysql.port}/${options.database ?? 'rediclaim'}`;
  const mysqlTls: Record<string, string> = env.mysqlTls
    ? { MYSQL_TLS_MODE: 'verify-identity', MYSQL_TLS_CA: env.mysqlTls.caFile }
    : {};
  const groups = options.groupPrefix ?? 'rediclaim';
  const common: Record<string, string> = {
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    ...kafkaSecurityEnv(env),
    LOG_LEVEL: options.logLevel ?? 'info',
  };
  if (options.topics) {
    common.TOPIC_ISSUE_REQUESTS = options.topics.issueRequests;
    common.TOPIC_ISSUE_RESULTS = options.topics.issueResults;
    common.TOPIC_DEAD_LETTERS = options.topics.deadLetters;
    if (options.topics.coupons) common.TOPIC_COUPONS = options.topics.coupons;
  }
  const ready = (url: string, logName: string) => ({
    readyUrl: `${url}/readyz`,
    logDir,
    logName,
    timeoutMs: 90_000,
  });

  // Slots keep their ports across restarts, as a pod keeps its Service.
  const gatePorts: { public: number; admin: number }[] = [];
  for (let i = 0; i < gateCount; i++)
    gatePorts.push({ public: await port(10 * i), admin: await port(10 * i + 1) });
  const issuerPorts = new Map<number, { admin: number; api: number }>();
  // A shop's checkout would hold a tenant's token; the demo acts for every tenant.
  const redemptionToken = randomBytes(24).toString('hex');
  const ticketSecret = randomBytes(24).toString('hex');
  // As the chart does: only the operator may call the gate's internal API.
  const adminToken = randomBytes(24).toString('hex');
  // Shared by the gates: a challenge one gives, the other verifies.
  const powHmacKey = randomBytes(24).toString('hex');
  // As the chart does: the gates sign issue requests, the issuers decide only those.
  const requestSigningKeys = `local=${randomBytes(24).toString('hex')}`;
  let lives = 0;

  const gates = new ReplicaFollower(kc, namespace, GATE_DEPLOYMENT, (i) => {
    const ports = gatePorts[i] ?? gatePorts[0]!;
    return startService(
      'gate',
      {
        ...common,
        GATE_PORT: String(ports.public),
        GATE_ADMIN_PORT: String(ports.admin),
        ...gateRedisEnv(env),
        EVENTS_CONFIGMAP: `${namespace}/${EVENTS_CONFIGMAP}`,
        KUBECONFIG: env.kubeconfig,
        TICKET_SECRET: ticketSecret,
        POW_HMAC_KEY: powHmacKey,
        ADMIN_TOKEN: adminToken,
        REQUEST_SIGNING_KEYS: requestSigningKeys,
        KAFKA_GROUP_ID: `${groups}-gate`,
        GATE_COUPONS_GROUP_ID: `${groups}-gate-coupons`,
        // Every shopper of a local crowd comes from 127.0.0.1: a per-address join
        // limit (joins, polls, open streams) would refuse all but the first few.
        ENQUEUE_RATE_LIMIT_MAX: '0',
        POLL_RATE_LIMIT_MAX: '0',
        GATE_PUSH_MAX_STREAMS_PER_CLIENT: '0',
        ...options.extraEnv?.gate,
      },
      ready(`http://127.0.0.1:${ports.public}`, `gate-${i}-${lives++}`),
    );
  });
  const issuers = new ReplicaFollower(
    kc,
    namespace,
    ISSUER_DEPLOYMENT,
    async (i) => {
      if (!issuerPorts.has(i)) {
        issuerPorts.set(i, { admin: await port(100 + i), api: await port(150 + i) });
      }
      const { admin: adminPort, api: apiPort } = issuerPorts.get(i)!;
      return startService(
        'issuer',
        {
          ...common,
          ISSUER_ADMIN_PORT: String(adminPort),
          MYSQL_URL: mysqlUrl,
          ...mysqlTls,
          KAFKA_GROUP_ID: `${groups}-issuer`,
          COUPON_CODE_SECRET: 'local-demo-secret',
          REQUEST_SIGNING_KEYS: requestSigningKeys,
          ISSUER_API_PORT: String(apiPort),
          ISSUER_API_HOST: '127.0.0.1',
          REDEMPTION_API_KEYS: `*=${redemptionToken}`,
          ...options.extraEnv?.issuer,
        },
        ready(`http://127.0.0.1:${adminPort}`, `issuer-${i}-${lives++}`),
      );
    },
    options.onIssuerReplicas,
  );
  const gateAdminUrls = gatePorts.map((p) => `http://127.0.0.1:${p.admin}`);
  const operators: ServiceProcess[] = [];
  const operatorAdminUrls: string[] = [];
  const startOperator = async (name: string) => {
    const adminPort = await port(90 + operators.length);
    operatorAdminUrls.push(`http://127.0.0.1:${adminPort}`);
    const operator = await startService(
      'operator',
      {
        ...common,
        OPERATOR_ADMIN_PORT: String(adminPort),
        KUBECONFIG: env.kubeconfig,
        PLATFORM_NAMESPACE: namespace,
        EVENTS_CONFIGMAP_NAME: EVENTS_CONFIGMAP,
        ISSUER_DEPLOYMENT_NAME: ISSUER_DEPLOYMENT,
        ISSUER_MIN_REPLICAS: String(options.issuerMinReplicas ?? 1),
        ISSUER_MAX_REPLICAS: String(options.issuerMaxReplicas ?? 2),
        GATE_ADMIN_URL: gateAdminUrls[0]!,
        GATE_ADMIN_TOKEN: adminToken,
        POD_NAME: name,
        ...(options.watchNamespaces ? { WATCH_NAMESPACES: options.watchNamespaces.join(',') } : {}),
        ...options.extraEnv?.operator,
      },
      ready(`http://127.0.0.1:${adminPort}`, name),
    );
    operators.push(operator);
    return operator;
  };

  try {
    await issuers.run();
    await gates.run();
    const operator = await startOperator(`operator-${process.pid}-0`);
    return {
      namespace,
      gateUrls: gatePorts.map((p) => `http://127.0.0.1:${p.public}`),
      gateAdminUrls,
      operatorAdminUrl: operatorAdminUrls[0]!,
      gates: () => gates.replicas as ServiceProcess[],
      issuers: () => issuers.replicas as ServiceProcess[],
      operator,
      startOperator: (name) => startOperator(name),
      issuerReplicas: () => issuers.count,
      issuerPids: () => issuers.pids,
      restarts: () => ({ gates: gates.restarts, issuers: issuers.restarts }),
      kubeConfig: kc,
      mysqlUrl,
      adminToken,
      requestSigningKeys,
      issuerAdminUrls: () =>
        [...issuerPorts.keys()]
          .filter((i) => i < issuers.count)
          .map((i) => `http://127.0.0.1:${issuerPorts.get(i)!.admin}`),
      redemptionUrls: () =>
        [...issuerPorts.keys()]
          .filter((i) => i < issuers.count)
          .map((i) => `http://127.0.0.1:${issuerPorts.get(i)!.api}`),
      redemptionToken,
      async stop() {
        // Operators first (they would react to the rest going away), then the front
        // door, then the issuers, which finish their batches on SIGTERM.
        await Promise.all(operators.map((o) => o.stop('SIGTERM')));
        await gates.stop();
        await issuers.stop();
      },
    };
  } catch (error) {
    await Promise.all(operators.map((o) => o.stop('SIGKILL')));
    await gates.stop();
    await issuers.stop();
    throw error;
  }
}
