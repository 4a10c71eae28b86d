// rediclaim-crowd in the gate image. No Docker engine runs here, so this proves what the
// Dockerfile's crowd-app stage relies on: hack/tsconfig.crowd.json compiles the CLI from
// its own folders alone (the build stage holds no other hack sources), and the layout
// hack/docker/assemble-crowd adds to the gate's /app starts, every import resolving.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@rediclaim/hack/testing';
import { find, podSpecOf, render } from './support/chart.js';

const run = promisify(execFile);
const dockerfile = readFileSync(path.join(repoRoot, 'hack', 'docker', 'Dockerfile'), 'utf8');
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('rediclaim-crowd in the gate image', () => {
  it('compiles from hack/src/crowd and hack/src/crowd-cli alone', async () => {
    const { stdout } = await run(
      path.join(repoRoot, 'node_modules', '.bin', 'tsc'),
      ['-p', 'hack/tsconfig.crowd.json', '--listFilesOnly'],
      { cwd: repoRoot },
    );
    const hackSources = stdout
      .split('\n')
      .filter((f) => f.startsWith(path.join(repoRoot, 'hack', 'src')))
      .map((f) => path.relative(path.join(repoRoot, 'hack', 'src'), f).split(path.sep)[0]);
    expect([...new Set(hackSources)].sort()).toEqual(['crowd', 'crowd-cli']);
  });

  it('is copied into the gate target, and the chart Job runs the file it lays out', async () => {
    expect(dockerfile).toMatch(/^FROM build AS crowd-app$/m);
    expect(dockerfile).toMatch(/hack\/docker\/assemble-crowd \/crowd$/m);
    const gate = /^FROM runtime AS gate\n([\s\S]*?)(?=^FROM )/m.exec(dockerfile)![1]!;
    expect(gate).toContain('COPY --from=crowd-app /crowd/hack /app/hack');
    const objects = await render({
      loadTest: { enabled: true, event: 'sale-1', users: 500, arrival: 'spike' },
    });
    const job = objects.find((o) => o.kind === 'Job');
    expect(job?.metadata.name).toMatch(/^rediclaim-crowd-[0-9a-f]{8}$/);
    const container = podSpecOf(job!).containers[0]!;
    const gateImage = podSpecOf(find(objects, 'Deployment', 'rediclaim-gate')).containers[0]!.image;
    expect(container.image).toBe(gateImage);
    expect(container.args).toEqual([
      'hack/dist/crowd-cli/main.js',
      '--gate',
      expect.stringMatching(/^http:\/\/rediclaim-gate\.[a-z0-9-]+\.svc:80$/),
      '--event',
      'sale-1',
      '--users',
      '500',
      '--arrival',
      'spike',
      '--connections',
      '64',
      '--api',
      'v1',
      '--timeout',
      '300',
    ]);
  });

  it('starts from the gate layout plus assemble-crowd: --help, and a clear exit 3 for a gate that is not there', async () => {
    const work = path.join(repoRoot, '.rediclaim', 'test', 'image-layout');
    mkdirSync(work, { recursive: true });
    const out = mkdtempSync(path.join(work, 'gate-crowd-'));
    dirs.push(out);
    const env = {
      ...process.env,
      npm_config_prefer_offline: 'true',
      RC_ASSEMBLE_CACHE: path.join(work, 'cache'),
    };
    await run(path.join(repoRoot, 'hack', 'docker', 'assemble'), ['gate', out], {
      env,
      timeout: 180_000,
    });
    await run(path.join(repoRoot, 'hack', 'docker', 'assemble-crowd'), [out], { env });
    const start = (args: string[]) => {
      const child = spawn(process.execPath, ['hack/dist/crowd-cli/main.js', ...args], {
        cwd: out,
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      return new Promise<{ code: number | null; output: string }>((resolve) =>
        child.once('exit', (code) => resolve({ code, output })),
      );
    };
    const help = await start(['--help']);
    expect(help).toEqual({ code: 0, output: expect.stringContaining('Usage: rediclaim-crowd') });
    // Runs the crowd engine's imports too (undici, core, zod) before it fails to connect.
    const down = await start(['--gate', 'http://127.0.0.1:9', '--event', 'e']);
    expect(down.code).toBe(3);
    expect(down.output).toContain('rediclaim-crowd: cannot reach the gate at http://127.0.0.1:9');
    expect(down.output).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
  }, 240_000);
});
