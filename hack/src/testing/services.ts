import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './env.js';
import { uniqueName } from './names.js';

export type ServiceName = 'gate' | 'issuer' | 'operator';

export interface ServiceProcess {
  name: ServiceName;
  pid: number;
  /** Where its stdout and stderr (pino JSON) go: read it when a test fails. */
  logFile: string;
  logs(): string;
  /** Sends a signal (SIGTERM: graceful; SIGKILL: a crash) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface StartOptions {
  /** Polled until it answers 200; the service is then considered started. */
  readyUrl?: string;
  timeoutMs?: number;
  /** Where the log file goes (default .rediclaim/test/logs). */
  logDir?: string;
  /** Name of the log file, without .log (default: the service name and a random suffix). */
  logName?: string;
}

/**
 * Runs a service the way production does (`node <service>/dist/main.js`, settings from
 * the environment) as a child process a test can SIGTERM or SIGKILL. Needs a build:
 * `npm test` runs `tsc -b` first; alone, run `npx tsc -b <service>`.
 */
export async function startService(
  name: ServiceName,
  env: Record<string, string>,
  options: StartOptions = {},
): Promise<ServiceProcess> {
  const logDir = options.logDir ?? path.join(repoRoot, '.rediclaim', 'test', 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = path.join(logDir, `${options.logName ?? uniqueName(name)}.log`);
  const out = createWriteStream(logFile);
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(repoRoot, name, 'dist', 'main.js')],
    {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        KAFKAJS_NO_PARTITIONER_WARNING: '1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const proc: ServiceProcess = {
    name,
    pid: child.pid!,
    logFile,
    logs: () => readFileSync(logFile, 'utf8'),
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  if (options.readyUrl) {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    for (;;) {
      if (exitedEarly)
        throw new Error(
          `${name} exited before it was ready; its log:\n${proc.logs().slice(-4000)}`,
        );
      try {
        const res = await fetch(options.readyUrl);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await proc.stop('SIGKILL');
        throw new Error(
          `${name} was not ready at ${options.readyUrl} within ${options.timeoutMs ?? 60_000} ms; its log:\n${proc.logs().slice(-4000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return proc;
}
