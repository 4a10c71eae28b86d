import * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { StackEnv } from '../testing/env.js';
import { ensureCouponEventCrd } from '../testing/crd.js';
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
  /** First port for the services: gate i gets base+10i (public) and base+10i+1 (admin). */
  portBase?: number;
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
  const base = options.portBase ?? env.portBase + 10;
  const gateCount = options.gates ?? 2;
  const logLevel = options.logLevel ?? 'info';
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(env.kubeconfig);

  await ensureCouponEventCrd(kc);
  await ensureNamespace(kc, namespace);
  await ensureEventsConfigMap(kc, namespace, EVENTS_CONFIGMAP);
  await ensureDeployment(kc, namespace, ISSUER_DEPLOYMENT, options.issuerMinReplicas ?? 1);

  const { host, port, user, password } = env.mysql;
  const mysqlUrl = `mysql://${user}:${password}@${host}:${port}/rediclaim`;
  const common = { KAFKA_BROKERS: env.kafkaBrokers.join(','), LOG_LEVEL: logLevel };
  const started: ServiceProcess[] = [];
  const ready = (url: string) => ({ readyUrl: `${url}/readyz`, logDir, timeoutMs: 90_000 });

  try {
    const issuerPort = (i: number) => base + 100 + i;
    const follower = new ReplicaFollower(
      kc,
      namespace,
      ISSUER_DEPLOYMENT,
      (i) =>
        startService(
          'issuer',
          {
            ...common,
            ISSUER_ADMIN_PORT: String(issuerPort(i)),
            MYSQL_URL: mysqlUrl,
            COUPON_CODE_SECRET: 'local-demo-secret',
            ...options.extraEnv?.issuer,
          },
          { ...ready(`http://127.0.0.1:${issuerPort(i)}`), logName: `issuer-${i}` },
        ),
      options.onIssuerReplicas,
    );
    await follower.run();

    const ticketSecret = randomBytes(24).toString('hex');
    const gates: ServiceProcess[] = [];
    const gateUrls: string[] = [];
    const gateAdminUrls: string[] = [];
    for (let i = 0; i < gateCount; i++) {
      const publicPort = base + 10 * i;
      const adminPort = publicPort + 1;
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
          ...options.extraEnv?.gate,
        },
        { ...ready(`http://127.0.0.1:${publicPort}`), logName: `gate-${i}` },
      );
      started.push(gate);
      gates.push(gate);
      gateUrls.push(`http://127.0.0.1:${publicPort}`);
      gateAdminUrls.push(`http://127.0.0.1:${adminPort}`);
    }

    const operatorPort = base + 90;
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
      issuerReplicas: () => follower.count,
      issuerPids: () => follower.pids,
      kubeConfig: kc,
      mysqlUrl,
      async stop() {
        // Operator first (it would react to the rest going away), then the front door,
        // then the issuers, which finish their batches on SIGTERM.
        await operator.stop('SIGTERM');
        await Promise.all(gates.map((g) => g.stop('SIGTERM')));
        await follower.stop();
      },
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop('SIGKILL')));
    throw error;
  }
}

export function defaultLogDir(env: StackEnv): string {
  return path.join(env.stateDir, 'logs');
}
