import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { StackEnv } from '../testing/env.js';
import { ensureCouponEventCrd } from '../testing/crd.js';
import { freePorts } from '../testing/private-stack.js';
import { startService, type ServiceProcess } from '../testing/services.js';
import { ensureDeployment, ensureEventsConfigMap, ensureNamespace } from './kube-objects.js';
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
   * the operator base+90, issuer i base+100+i. 'free' takes ports the OS says are free
   * (tests running side by side).
   */
  portBase?: number | 'free';
  /** Kafka topic names (default: the platform's own). Tests isolate with their own. */
  topics?: { issueRequests: string; issueResults: string; deadLetters: string };
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
  gates: ServiceProcess[];
  operator: ServiceProcess;
  issuerReplicas(): number;
  issuerPids(): number[];
  kubeConfig: k8s.KubeConfig;
  mysqlUrl: string;
  stop(): Promise<void>;
}

export const EVENTS_CONFIGMAP = 'rediclaim-events';
export const ISSUER_DEPLOYMENT = 'rediclaim-issuer';

/**
 * The whole of rediclaim on one machine, as it runs in a cluster but with processes
 * for pods: operator, gates and issuers (as many as the operator scales the issuer
 * Deployment to) against the real Redis, Kafka, MariaDB and kube-apiserver of a stack.
 */
export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const { env, logDir } = options;
  const namespace = options.namespace ?? 'rediclaim';
  const fixedBase =
    options.portBase === 'free' ? undefined : (options.portBase ?? env.portBase + 10);
  const port = async (offset: number) =>
    fixedBase !== undefined ? fixedBase + offset : (await freePorts(1))[0]!;
  const gateCount = options.gates ?? 2;
  const logLevel = options.logLevel ?? 'info';
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(env.kubeconfig);

  await ensureCouponEventCrd(kc);
  await ensureNamespace(kc, namespace);
  await ensureEventsConfigMap(kc, namespace, EVENTS_CONFIGMAP);
  await ensureDeployment(kc, namespace, ISSUER_DEPLOYMENT, options.issuerMinReplicas ?? 1);

  const { host, user, password } = env.mysql;
  const mysqlUrl = `mysql://${user}:${password}@${host}:${env.mysql.port}/${options.database ?? 'rediclaim'}`;
  const groups = options.groupPrefix ?? 'rediclaim';
  const common: Record<string, string> = {
    KAFKA_BROKERS: env.kafkaBrokers.join(','),
    LOG_LEVEL: logLevel,
  };
  if (options.topics) {
    common.TOPIC_ISSUE_REQUESTS = options.topics.issueRequests;
    common.TOPIC_ISSUE_RESULTS = options.topics.issueResults;
    common.TOPIC_DEAD_LETTERS = options.topics.deadLetters;
  }
  const started: ServiceProcess[] = [];
  const ready = (url: string) => ({ readyUrl: `${url}/readyz`, logDir, timeoutMs: 90_000 });

  let follower: ReplicaFollower | undefined;
  try {
    follower = new ReplicaFollower(
      kc,
      namespace,
      ISSUER_DEPLOYMENT,
      async (i) => {
        const adminPort = await port(100 + i);
        return startService(
          'issuer',
          {
            ...common,
            ISSUER_ADMIN_PORT: String(adminPort),
            MYSQL_URL: mysqlUrl,
            KAFKA_GROUP_ID: `${groups}-issuer`,
            COUPON_CODE_SECRET: 'local-demo-secret',
            ...options.extraEnv?.issuer,
          },
          { ...ready(`http://127.0.0.1:${adminPort}`), logName: `issuer-${i}` },
        );
      },
      options.onIssuerReplicas,
    );
    await follower.run();

    const ticketSecret = randomBytes(24).toString('hex');
    const gates: ServiceProcess[] = [];
    const gateUrls: string[] = [];
    const gateAdminUrls: string[] = [];
    for (let i = 0; i < gateCount; i++) {
      const publicPort = await port(10 * i);
      const adminPort = await port(10 * i + 1);
      const gate = await startService(
        'gate',
        {
          ...common,
          GATE_PORT: String(publicPort),
          GATE_ADMIN_PORT: String(adminPort),
          REDIS_URL: env.redisUrl,
          EVENTS_CONFIGMAP: `${namespace}/${EVENTS_CONFIGMAP}`,
          KUBECONFIG: env.kubeconfig,
          TICKET_SECRET: ticketSecret,
          KAFKA_GROUP_ID: `${groups}-gate`,
          // Every shopper of a local crowd comes from 127.0.0.1: a per-address join
          // limit would refuse all but the first few.
          ENQUEUE_RATE_LIMIT_MAX: '0',
          ...options.extraEnv?.gate,
        },
        { ...ready(`http://127.0.0.1:${publicPort}`), logName: `gate-${i}` },
      );
      started.push(gate);
      gates.push(gate);
      gateUrls.push(`http://127.0.0.1:${publicPort}`);
      gateAdminUrls.push(`http://127.0.0.1:${adminPort}`);
    }

    const operatorPort = await port(90);
    const operator = await startService(
      'operator',
      {
        ...common,
        OPERATOR_ADMIN_PORT: String(operatorPort),
        KUBECONFIG: env.kubeconfig,
        PLATFORM_NAMESPACE: namespace,
        EVENTS_CONFIGMAP_NAME: EVENTS_CONFIGMAP,
        ISSUER_DEPLOYMENT_NAME: ISSUER_DEPLOYMENT,
        ISSUER_MIN_REPLICAS: String(options.issuerMinReplicas ?? 1),
        ISSUER_MAX_REPLICAS: String(options.issuerMaxReplicas ?? 2),
        GATE_ADMIN_URL: gateAdminUrls[0]!,
        POD_NAME: `operator-local-${process.pid}`,
        ...(options.watchNamespaces ? { WATCH_NAMESPACES: options.watchNamespaces.join(',') } : {}),
        ...options.extraEnv?.operator,
      },
      { ...ready(`http://127.0.0.1:${operatorPort}`), logName: 'operator' },
    );
    started.push(operator);

    return {
      namespace,
      gateUrls,
      gateAdminUrls,
      operatorAdminUrl: `http://127.0.0.1:${operatorPort}`,
      gates,
      operator,
      issuerReplicas: () => follower!.count,
      issuerPids: () => follower!.pids,
      kubeConfig: kc,
      mysqlUrl,
      async stop() {
        // Operator first (it would react to the rest going away), then the front door,
        // then the issuers, which finish their batches on SIGTERM.
        await operator.stop('SIGTERM');
        await Promise.all(gates.map((g) => g.stop('SIGTERM')));
        await follower!.stop();
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    await follower?.stop();
    throw error;
  }
}

export function defaultLogDir(env: StackEnv): string {
  return path.join(env.stateDir, 'logs');
}
