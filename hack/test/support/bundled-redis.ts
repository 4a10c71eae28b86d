import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePorts, waitFor } from '@rediclaim/hack/testing';
import { find, podSpecOf, render, type Values } from './chart.js';

export const run = promisify(execFile);

type Volume = {
  name: string;
  secret?: { secretName: string; items: { key: string; path: string }[] };
};

export interface BundledRedis {
  /** Where the Secret's password, the ACL file, the data and any certificates are. */
  dir: string;
  port: number;
  /** The startup probe's command, pointed at this server. */
  probe: string;
  /** The rendered release, for what the gate is given. */
  objects: Awaited<ReturnType<typeof render>>;
  stop(): Promise<void>;
}

/**
 * The chart's bundled Redis run for real outside a cluster, as its StatefulSet runs it:
 * the init step's script writes the ACL file from the password, Debian's redis-server
 * starts with the rendered arguments (the pod's paths mapped to a temporary directory,
 * the Secret's files written there), and it is ready when the rendered probe passes.
 */
export async function startBundledRedis(
  password: string,
  values: Values = {},
): Promise<BundledRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rc-bundled-redis-'));
  writeFileSync(path.join(dir, 'password'), password);
  const objects = await render(values, 'shop');
  const pod = podSpecOf(find(objects, 'StatefulSet', 'rediclaim-redis'));
  // The certificates' volume (redis.tls), from the Secret the same render made.
  const tls = (pod.volumes as Volume[]).find((v) => v.name === 'tls')?.secret;
  if (tls) {
    const secret = find(objects, 'Secret', tls.secretName) as unknown as {
      data: Record<string, string>;
    };
    for (const item of tls.items)
      writeFileSync(path.join(dir, item.path), Buffer.from(secret.data[item.key]!, 'base64'));
  }
  const local = (text: string) =>
    text
      .replaceAll('/secret/password', path.join(dir, 'password'))
      .replaceAll('/acl/', `${dir}/`)
      .replaceAll('/tls/', `${dir}/`);
  const init = pod.initContainers!.find((c) => c.name === 'acl')!.command as string[];
  await run(init[0]!, [init[1]!, local(init[2]!)]);
  const redis = pod.containers[0]!;
  const port = (await freePorts(1))[0]!;
  const rendered = (redis.args as string[]).map(local).map((a) => (a === '/data' ? dir : a));
  // The port it listens on (TLS or not) is this test's.
  const tlsAt = rendered.indexOf('--tls-port');
  const args =
    tlsAt >= 0
      ? rendered.map((a, i) => (i === tlsAt + 1 ? String(port) : a))
      : [...rendered, '--port', String(port)];
  const server = spawn('redis-server', [...args, '--bind', '127.0.0.1'], { stdio: 'ignore' });
  const startup = (redis.startupProbe as { exec: { command: string[] } }).exec.command;
  const probe = local(startup[2]!).replace('-h 127.0.0.1', `-h 127.0.0.1 -p ${port}`);
  const stop = async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill();
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'the bundled Redis to pass its startup probe',
      () =>
        run('sh', ['-c', probe]).then(
          () => true,
          () => false,
        ),
      10_000,
      50,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { dir, port, probe, objects, stop };
}
