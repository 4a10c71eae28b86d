import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import * as yaml from 'js-yaml';
import type mysql from 'mysql2/promise';
import { repoRoot } from '../testing/env.js';
import type { ClusterEnv } from './env.js';

const run = promisify(execFile);

export const chartDir = path.join(repoRoot, 'charts', 'rediclaim');

export type Values = Record<string, unknown>;

export interface InstallOptions {
  namespace: string;
  /** Release name (default "rediclaim"). */
  name?: string;
  /** Values on top of hack/kubernetes/values.yaml and the images hack/cluster built. */
  values?: Values;
  timeoutSeconds?: number;
}

/**
 * The chart installed on the real cluster, the way a user does it: `helm upgrade
 * --install --wait`, then everything found through the API (Service addresses, the
 * generated Secrets) as a client in that cluster would find it.
 */
export class Release {
  readonly kc = new k8s.KubeConfig();
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;

  private constructor(
    readonly env: ClusterEnv,
    readonly namespace: string,
    readonly name: string,
  ) {
    this.kc.loadFromFile(env.kubeconfig);
    this.core = this.kc.makeApiClient(k8s.CoreV1Api);
    this.apps = this.kc.makeApiClient(k8s.AppsV1Api);
  }

  /** Object names of the release (the chart's fullname). */
  get fullname(): string {
    return this.name.includes('rediclaim') ? this.name : `${this.name}-rediclaim`;
  }

  static async install(env: ClusterEnv, options: InstallOptions): Promise<Release> {
    const release = new Release(env, options.namespace, options.name ?? 'rediclaim');
    await release.upgrade(options.values ?? {}, { timeoutSeconds: options.timeoutSeconds });
    return release;
  }

  /** `helm upgrade --install` with these values on top of the cluster's. */
  async upgrade(values: Values, options: { wait?: boolean; timeoutSeconds?: number } = {}) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rc-values-'));
    try {
      const file = path.join(dir, 'values.yaml');
      writeFileSync(file, yaml.dump(values));
      await this.helm([
        'upgrade',
        '--install',
        this.name,
        chartDir,
        '--namespace',
        this.namespace,
        '--create-namespace',
        ...this.env.values.flatMap((v) => ['--values', v]),
        '--values',
        file,
        ...(options.wait === false
          ? []
          : ['--wait', '--timeout', `${options.timeoutSeconds ?? 600}s`]),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async uninstall(): Promise<void> {
    await this.helm(['uninstall', this.name, '--namespace', this.namespace, '--wait']);
  }

  async helm(args: string[]): Promise<string> {
    try {
      const { stdout } = await run(this.env.helm, [...args, '--kubeconfig', this.env.kubeconfig], {
        maxBuffer: 16 * 1024 * 1024,
        timeout: 20 * 60_000,
      });
      return stdout;
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(
        `helm ${args.slice(0, 2).join(' ')} failed: ${e.stderr?.trim() || e.message}`,
        { cause: error },
      );
    }
  }

  async kubectl(args: string[]): Promise<string> {
    const { stdout } = await run(
      'kubectl',
      ['--kubeconfig', this.env.kubeconfig, '--namespace', this.namespace, ...args],
      { maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000 },
    );
    return stdout;
  }

  /** http://<ClusterIP>:<port> of one of the release's Services (reachable from this machine). */
  async serviceUrl(service: string, port?: number): Promise<string> {
    const svc = await this.core.readNamespacedService({ name: service, namespace: this.namespace });
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None') throw new Error(`Service ${service} has no cluster IP`);
    return `http://${ip}:${port ?? svc.spec?.ports?.[0]?.port ?? 80}`;
  }

  /** The gate's public Service: where shoppers (and load tests) go. */
  gateUrl(): Promise<string> {
    return this.serviceUrl(`${this.fullname}-gate`);
  }

  /** One key of one of the release's Secrets, decoded. */
  async secret(name: string, key: string): Promise<string> {
    const secret = await this.core.readNamespacedSecret({ name, namespace: this.namespace });
    const value = secret.data?.[key];
    if (!value) throw new Error(`Secret ${name} has no key ${key}`);
    return Buffer.from(value, 'base64').toString('utf8');
  }

  /**
   * The bundled MariaDB, as the issuer's user, through its Service's address; over TLS
   * when the release gave it a certificate, which must chain to the release's CA. (The
   * name in it is the issuer's check, which dials the Service's DNS name; this dials an
   * address.)
   */
  async mysqlConnection(): Promise<mysql.ConnectionOptions> {
    const service = `${this.fullname}-mysql`;
    const password = await this.secret(service, 'mysql-password');
    const base = await this.serviceUrl(service, 3306);
    const uri = `${base.replace('http://', 'mysql://rediclaim:' + encodeURIComponent(password) + '@')}/rediclaim`;
    const certificates = await this.core
      .readNamespacedSecret({ name: `${this.fullname}-bundled-tls`, namespace: this.namespace })
      .then(
        (secret) => secret.data ?? {},
        () => ({}) as Record<string, string>,
      );
    if (!certificates['mysql.crt'] || !certificates['ca.crt']) return { uri };
    const ca = Buffer.from(certificates['ca.crt'], 'base64').toString('utf8');
    return { uri, ssl: { ca, rejectUnauthorized: true } };
  }

  /** Running pods of one component (gate, issuer, operator, redis, kafka, mysql). */
  async pods(component: string): Promise<k8s.V1Pod[]> {
    const list = await this.core.listNamespacedPod({
      namespace: this.namespace,
      labelSelector: `app.kubernetes.io/instance=${this.name},app.kubernetes.io/component=${component}`,
    });
    return list.items.filter((p) => !p.metadata?.deletionTimestamp);
  }

  /** Ready pods of one component (Running, every container ready). */
  async readyPods(component: string): Promise<k8s.V1Pod[]> {
    return (await this.pods(component)).filter((p) =>
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
  }

  async rolloutStatus(kind: 'deployment' | 'statefulset', name: string, timeoutSeconds = 600) {
    await this.kubectl(['rollout', 'status', `${kind}/${name}`, `--timeout=${timeoutSeconds}s`]);
  }
}
