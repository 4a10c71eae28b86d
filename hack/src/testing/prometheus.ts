import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dump } from 'js-yaml';
import { freePorts } from './free-ports.js';
import { waitFor } from './wait.js';

export interface PrometheusOptions {
  /** Scrape jobs: job name → `host:port` targets whose /metrics it scrapes. */
  jobs: Record<string, string[]>;
  /** Rule files Prometheus loads and evaluates. */
  ruleFiles?: string[];
  /** Where its config, data and log go (one directory per server). */
  dir: string;
  /** Scrape and rule evaluation interval (default 1s: a test's sale lasts seconds). */
  interval?: string;
}

/** One series or sample of the HTTP API's answers. */
export interface PromSample {
  metric: Record<string, string>;
  value?: [number, string];
}

export interface PrometheusServer {
  url: string;
  /** An instant query; throws with Prometheus' message on a bad expression. */
  query(expr: string): Promise<PromSample[]>;
  /** The series matching a selector over the last `lookbackSeconds`. */
  series(selector: string, lookbackSeconds?: number): Promise<Record<string, string>[]>;
  labelValues(label: string, match: string): Promise<string[]>;
  /** The HTTP API's answer for a path (e.g. /api/v1/rules), its data part. */
  get<T>(apiPath: string): Promise<T>;
  /** Waits for every target to have been scraped successfully at least once. */
  allTargetsUp(timeoutMs?: number): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

/**
 * A real Prometheus server (Debian's, installed by `hack/stack install prometheus`) on a
 * free loopback port, scraping the given targets: what the monitoring tests prove the
 * chart's dashboard and alert rules against.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const [port] = await freePorts(1);
  const interval = options.interval ?? '1s';
  mkdirSync(path.join(options.dir, 'data'), { recursive: true });
  const configFile = path.join(options.dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    dump({
      global: {
        scrape_interval: interval,
        evaluation_interval: interval,
        scrape_timeout: interval,
      },
      rule_files: options.ruleFiles ?? [],
      scrape_configs: Object.entries(options.jobs).map(([job, targets]) => ({
        job_name: job,
        static_configs: [{ targets }],
      })),
    }),
  );
  const logFile = path.join(options.dir, 'prometheus.log');
  const out = createWriteStream(logFile);
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(options.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const logs = () => readFileSync(logFile, 'utf8');

  async function get<T>(apiPath: string): Promise<T> {
    const response = await fetch(`${url}${apiPath}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${apiPath}: ${body.error ?? response.status}`);
    return body.data;
  }
  const params = (entries: Record<string, string>) => new URLSearchParams(entries).toString();

  try {
    await waitFor('Prometheus to be ready', async () => (await fetch(`${url}/-/ready`)).ok, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${String(error)}; its log:\n${logs().slice(-4000)}`, { cause: error });
  }
  return {
    url,
    get,
    logs,
    async query(expr) {
      const data = await get<{ result: PromSample[] }>(`/api/v1/query?${params({ query: expr })}`);
      return data.result;
    },
    async series(selector, lookbackSeconds = 300) {
      const now = Date.now() / 1000;
      return get<Record<string, string>[]>(
        `/api/v1/series?${params({ 'match[]': selector, start: String(now - lookbackSeconds), end: String(now) })}`,
      );
    },
    async labelValues(label, match) {
      return get<string[]>(
        `/api/v1/label/${encodeURIComponent(label)}/values?${params({ 'match[]': match })}`,
      );
    },
    async allTargetsUp(timeoutMs = 30_000) {
      await waitFor(
        'every scrape target to be up',
        async () => {
          const { activeTargets } = await get<{ activeTargets: { health: string }[] }>(
            '/api/v1/targets',
          );
          return activeTargets.length > 0 && activeTargets.every((t) => t.health === 'up');
        },
        timeoutMs,
        250,
      );
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
