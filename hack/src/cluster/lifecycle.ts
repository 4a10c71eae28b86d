import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../testing/env.js';
import { clusterEnv, clusterStateDir, type ClusterEnv } from './env.js';

/**
 * Runs `hack/cluster <command>`: its lines go to `onLine` (a test's progress, a demo's
 * output) and to .rediclaim/cluster/logs/hack-cluster.log.
 */
export function runClusterScript(command: string, onLine?: (line: string) => void): Promise<void> {
  mkdirSync(path.join(clusterStateDir, 'logs'), { recursive: true });
  const log = createWriteStream(path.join(clusterStateDir, 'logs', 'hack-cluster.log'), {
    flags: 'a',
  });
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(repoRoot, 'hack', 'cluster'), [command], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let tail: string[] = [];
    const take = (chunk: Buffer) => {
      log.write(chunk);
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        tail = [...tail.slice(-19), line];
        onLine?.(line);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('exit', (code) => {
      log.end();
      if (code === 0) resolve();
      else reject(new Error(`hack/cluster ${command} failed (exit ${code}):\n${tail.join('\n')}`));
    });
  });
}

/** Starts the cluster (idempotent: a running one only gets the images that changed). */
export async function clusterUp(onLine?: (line: string) => void): Promise<ClusterEnv> {
  await runClusterScript('up', onLine);
  return clusterEnv();
}

export function clusterDown(onLine?: (line: string) => void): Promise<void> {
  return runClusterScript('down', onLine);
}
