import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where hack/stack says the servers of one stack listen (its env.json). */
export interface StackEnv {
  stack: string;
  portBase: number;
  stateDir: string;
  redisUrl: string;
  mysql: { host: string; port: number; user: string; password: string; socket: string };
  kafkaBrokers: string[];
  kubeconfig: string;
  helm: string;
  kafkaPidFile: string;
  redisPidFile: string;
  mariadbPidFile: string;
  apiserverPidFile: string;
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
