// The container images. No Docker engine runs here, so this proves what the Dockerfile
// relies on: its targets and runtime settings match the chart, and hack/docker/assemble
// (the script its build stage runs after `tsc -b`) lays out each service with production
// dependencies only, in a form that starts: `node <service>/dist/main.js` loads every
// module and stops only at the settings it was not given (exit code 2).
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@rediclaim/hack/testing';
import { find, podSpecOf, render } from './support/chart.js';

const run = promisify(execFile);
const dockerfile = readFileSync(path.join(repoRoot, 'hack', 'docker', 'Dockerfile'), 'utf8');
const services = ['gate', 'issuer', 'operator'] as const;

/** The instructions of one stage (FROM ... AS name up to the next FROM). */
function stage(name: string): string {
  const match = new RegExp(`^FROM \\S+ AS ${name}\\n([\\s\\S]*?)(?=^FROM |(?![\\s\\S]))`, 'm').exec(
    dockerfile,
  );
  if (!match) throw new Error(`hack/docker/Dockerfile has no stage ${name}`);
  return match[1]!;
}

describe('hack/docker/Dockerfile', () => {
  it('runs every service as uid 10001 under tini with NODE_ENV=production', () => {
    const runtime = stage('runtime');
    expect(runtime).toMatch(/^USER 10001:10001$/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node"\]$/m);
    expect(runtime).toMatch(/^ENV NODE_ENV=production$/m);
    // npm is a build tool: gone from the runtime image.
    expect(runtime).toContain('rm -rf /usr/local/lib/node_modules/npm');
  });

  it('installs from the lock file only (npm ci, never npm install)', () => {
    expect(dockerfile).toMatch(/npm ci --ignore-scripts/);
    expect(dockerfile).not.toMatch(/npm (install|i) /);
  });

  it('starts each target with the entry point the chart runs', async () => {
    const objects = await render();
    for (const s of services) {
      expect(stage(s)).toContain(`CMD ["${s}/dist/main.js"]`);
      expect(stage(s)).toContain(`COPY --from=${s}-app /app /app`);
      const args = podSpecOf(find(objects, 'Deployment', `rediclaim-${s}`)).containers[0]!.args;
      expect(args).toEqual([`${s}/dist/main.js`]);
    }
  });
});

describe('hack/docker/assemble (the production layout of each image)', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it.each(services)(
    'lays out %s with its production dependencies only, and it starts',
    async (service) => {
      const work = path.join(repoRoot, '.rediclaim', 'test', 'image-layout');
      mkdirSync(work, { recursive: true });
      const out = mkdtempSync(path.join(work, `${service}-`));
      dirs.push(out);
      await run(path.join(repoRoot, 'hack', 'docker', 'assemble'), [service, out], {
        env: {
          ...process.env,
          // The npm cache of this machine's own `npm ci`: no network needed.
          npm_config_prefer_offline: 'true',
          // npm ci runs again only when the lock file or a manifest changed (hard links
          // otherwise): three production installs per run would load a shared machine.
          RC_ASSEMBLE_CACHE: path.join(work, 'cache'),
        },
        timeout: 180_000,
      });

      expect(readdirSync(out).sort()).toEqual(
        ['core', 'node_modules', 'package-lock.json', 'package.json', service].sort(),
      );
      expect(existsSync(path.join(out, service, 'dist', 'main.js'))).toBe(true);
      expect(existsSync(path.join(out, service, 'src'))).toBe(false);
      expect(existsSync(path.join(out, service, 'test'))).toBe(false);
      if (service === 'gate') expect(existsSync(path.join(out, 'gate', 'lua'))).toBe(true);
      const modules = readdirSync(path.join(out, 'node_modules'));
      for (const dev of ['jest', 'typescript', 'prettier', 'eslint', '@swc', 'playwright-core'])
        expect({ dev, installed: modules.includes(dev) }).toEqual({ dev, installed: false });
      expect(readdirSync(path.join(out, 'node_modules', '@rediclaim')).sort()).toEqual(
        ['core', service].sort(),
      );

      // Started as the image starts it, with no settings: every import resolves, and it
      // stops at the first thing it needs, naming the variable.
      const child = spawn(process.execPath, [`${service}/dist/main.js`], {
        cwd: out,
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      child.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect({ code, output }).toEqual({
        code: 2,
        output: expect.stringContaining(`${service} settings are invalid:`),
      });
      expect(output).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
    },
    240_000,
  );
});
