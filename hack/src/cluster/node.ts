import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ClusterEnv } from './env.js';

const run = promisify(execFile);

async function crictl(env: ClusterEnv, args: string[]): Promise<string> {
  const { stdout } = await run(env.crictl, ['--runtime-endpoint', env.runtimeEndpoint, ...args]);
  return stdout;
}

/**
 * Kills a container the way a crash does: SIGKILL to its first process, from the node
 * (through the container runtime, as the node's admin would find it). The kubelet then
 * restarts the container; nothing in the pod gets to clean up.
 */
export async function crashContainer(
  env: ClusterEnv,
  pod: { namespace: string; name: string },
  container: string,
): Promise<void> {
  const id = (
    await crictl(env, [
      'ps',
      '--quiet',
      '--state',
      'running',
      '--name',
      `^${container}$`,
      '--label',
      `io.kubernetes.pod.namespace=${pod.namespace}`,
      '--label',
      `io.kubernetes.pod.name=${pod.name}`,
    ])
  ).trim();
  if (!id) throw new Error(`no running container ${container} in pod ${pod.namespace}/${pod.name}`);
  const info = JSON.parse(await crictl(env, ['inspect', id.split('\n')[0]!])) as {
    info?: { pid?: number };
  };
  const pid = info.info?.pid;
  if (!pid) throw new Error(`crictl inspect ${id} gave no pid`);
  process.kill(pid, 'SIGKILL');
}
