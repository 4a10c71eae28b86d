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
  /** Runs `hack/stack <command> <components>` against this stack. */
  stack(command: 'up' | 'down' | 'restart', ...components: Component[]): Promise<void>;
  /** Stops everything and deletes the stack's data. */
  destroy(): Promise<void>;
}

/**
 * Real servers of its own for a test that breaks them (kills Kafka, restarts MariaDB):
 * separate processes, ports and data, so no other suite notices. Slower to start
 * than the shared test stack; use it only for fault tests.
 */
export async function startPrivateStack(
  prefix: string,
  components: Component[],
): Promise<PrivateStack> {
  const name = uniqueName(`p-${prefix}`).toLowerCase();
  const stateDir = path.join(repoRoot, '.rediclaim', 'private', name);
  const [redis, mysql, kafka, kafkaController, apiserver, etcd, etcdPeer] = await freePorts(7);
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
  };
  const stack = async (command: string, ...list: Component[]) => {
    await run(path.join(repoRoot, 'hack/stack'), [command, ...list], { env, timeout: 180_000 });
  };
  await stack('up', ...components);
  const stackEnv = JSON.parse(readFileSync(path.join(stateDir, 'env.json'), 'utf8')) as StackEnv;
  return {
    env: stackEnv,
    stack,
    async destroy() {
      await stack('down').catch(() => undefined);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
