// rediclaim-crowd, run as a user runs the bin (`node hack/dist/crowd-cli/main.js`, the
// file package.json's "bin" names), against the whole platform on the shared test stack:
// operator, gates and issuer as processes, CouponEvents on the real API server, MariaDB.
// Each arrival shape with a small crowd; the summary, the JSON and the exit code; bad
// options (exit 2), a gate that is not there and an event it does not know (exit 3),
// and the checks failing (exit 1).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot, startE2E, type E2E } from '@rediclaim/hack/testing';
import { gateKnows, issuedIn, saleSpec } from './support/e2e.js';

const bin = (
  JSON.parse(readFileSync(path.join(repoRoot, 'hack', 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  }
).bin['rediclaim-crowd']!;
const cli = path.join(repoRoot, 'hack', bin);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function crowd(args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A value of the printed summary ("  issued   30" → "30"). */
function summaryValue(stdout: string, label: string): string | undefined {
  return new RegExp(`^  ${label} +(.+)$`, 'm').exec(stdout)?.[1];
}

const failedChecks = (stdout: string) =>
  [...stdout.matchAll(/^ {2}FAIL {2}(.+)$/gm)].map((m) => m[1]);

let e2e: E2E;
let gates: string[];

beforeAll(async () => {
  e2e = await startE2E('crowd-cli', ['shop'], { gates: 2 });
  gates = e2e.platform.gateUrls;
}, 120_000);

afterAll(async () => {
  await e2e?.stop();
});

async function sale(
  name: string,
  options: { stock: number; rate: number; paused?: boolean; preQueueForMs?: number },
): Promise<string> {
  const eventId = `${e2e.id}-${name}`;
  const spec = saleSpec({
    eventId,
    stock: options.stock,
    rate: options.rate,
    ...(options.paused ? { paused: true } : {}),
    ...(options.preQueueForMs ? { opensInMs: options.preQueueForMs } : {}),
  });
  if (options.preQueueForMs) spec.schedule.preQueueOpensAt = new Date().toISOString();
  await e2e.apply('shop', name, spec);
  await gateKnows(gates[0]!, eventId);
  await gateKnows(gates[1]!, eventId);
  return eventId;
}

describe('rediclaim-crowd against the local platform', () => {
  it('spread: a crowd over two gates sells exactly the stock, prints the summary and exits 0', async () => {
    // Progress lines come one a second and once at the end: a crowd done within its
    // first second (the bucket holds a second of tokens at opening) still prints one.
    const eventId = await sale('spread', { stock: 30, rate: 20 });
    const run = await crowd([
      '--gate',
      gates[0]!,
      '--gate',
      gates[1]!,
      '--event',
      eventId,
      '--users',
      '80',
      '--arrival',
      'spread',
      '--seconds',
      '1',
      '--expect-stock',
      '30',
    ]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain('80 shoppers arrive evenly over 1 s');
    expect(run.stdout).toMatch(/^\[rediclaim-crowd\] +\d+ s {2}joined \d+ {2}waiting/m);
    expect(summaryValue(run.stdout, 'shoppers')).toBe('80');
    expect(summaryValue(run.stdout, 'coupons on sale')).toBe('30');
    expect(summaryValue(run.stdout, 'issued')).toBe('30');
    expect(summaryValue(run.stdout, 'sold out')).toBe('50');
    expect(summaryValue(run.stdout, 'other outcomes')).toBe('none');
    expect(summaryValue(run.stdout, 'requests')).toMatch(
      /^\d+ \(\d+\.\d per shopper: the join, the streams and the polls\)$/,
    );
    expect(summaryValue(run.stdout, 'push streams')).toMatch(
      /^\d+ told the outcome, 0 refused or broken, 0 past this crowd's own limit/,
    );
    expect(summaryValue(run.stdout, 'gates')).toBe(gates.join(', '));
    expect(summaryValue(run.stdout, 'arrival')).toBe('spread, 1.0 s');
    expect(failedChecks(run.stdout)).toEqual([]);
    for (const check of [
      'every shopper learned the outcome',
      'never more ISSUED than stock',
      'all the stock issued when the crowd wants it',
      'one coupon code per ISSUED shopper, none told twice',
      'fair order: earlier tickets got the coupons',
    ])
      expect(run.stdout).toContain(`  ok    ${check}:`);
    expect(run.stdout).toContain('every shopper learned the outcome and every check held');
    // What the shoppers were told is what MySQL holds.
    expect(await issuedIn(e2e, eventId)).toBe(30);
  });

  it('spike: the crowd arrives in a short burst; --json prints one document with the same counts', async () => {
    const eventId = await sale('spike', { stock: 25, rate: 200 });
    const run = await crowd([
      '--gate',
      `${gates[0]},${gates[1]}`,
      '--event',
      eventId,
      '--users',
      '100',
      '--arrival',
      'spike',
      '--seconds',
      '0.5',
      '--json',
    ]);
    expect(run.code).toBe(0);
    // Progress and plan on stderr; stdout is the document only.
    expect(run.stderr).toContain('100 shoppers arrive each at a random instant of 0.5 s');
    const doc = JSON.parse(run.stdout) as {
      ok: boolean;
      exitCode: number;
      gates: string[];
      arrival: string;
      arrivalSeconds: number;
      outcomes: Record<string, number>;
      requests: number;
      requestsPerShopper: number;
      checks: { name: string; ok: boolean }[];
      lostShoppers: string[];
      sale: { stock: number; dispatchPerSecond: number };
    };
    expect(doc).toMatchObject({
      ok: true,
      exitCode: 0,
      gates,
      arrival: 'spike',
      arrivalSeconds: 0.5,
      outcomes: { ISSUED: 25, SOLD_OUT: 75 },
      lostShoppers: [],
      sale: { stock: 25, dispatchPerSecond: 200 },
    });
    // Every shopper asks at least once (the join); a stream and any polls come on top.
    expect(doc.requestsPerShopper).toBeGreaterThanOrEqual(1);
    expect(doc.requestsPerShopper).toBeCloseTo(doc.requests / 100, 2);
    expect(doc.checks.filter((c) => !c.ok)).toEqual([]);
    expect(await issuedIn(e2e, eventId)).toBe(25);
  });

  it('prequeue: everyone joins the pre-queue before the opening, then waits for it and learns the outcome', async () => {
    const opensAt = Date.now() + 7_000;
    const eventId = await sale('pre', { stock: 20, rate: 100, preQueueForMs: 7_000 });
    const run = await crowd([
      '--gate',
      gates[0]!,
      '--event',
      eventId,
      '--users',
      '60',
      '--arrival',
      'prequeue',
      '--api',
      'v1',
    ]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(
      /60 shoppers join the pre-queue evenly over \d\.\d s, then wait for the opening/,
    );
    expect(run.stdout).toContain(
      '  ok    every shopper joined in the pre-queue, before the opening: 0 joined after the pre-queue',
    );
    expect(summaryValue(run.stdout, 'issued')).toBe('20');
    expect(summaryValue(run.stdout, 'sold out')).toBe('40');
    expect(failedChecks(run.stdout)).toEqual([]);
    // It waited for the opening: the outcomes came after it.
    expect(Date.now()).toBeGreaterThanOrEqual(opensAt);
    expect(await issuedIn(e2e, eventId)).toBe(20);
  });

  it('prequeue refuses an event that is already open, saying why (exit 3)', async () => {
    const eventId = await sale('open-now', { stock: 5, rate: 50 });
    const run = await crowd(['--gate', gates[0]!, '--event', eventId, '--arrival', 'prequeue']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `--arrival prequeue needs a sale that has not opened yet, and event "${eventId}" is Open`,
    );
  });

  it('the seed API: the same journey through /gate/events/ID/enqueue and /rank', async () => {
    const eventId = await sale('seed', { stock: 10, rate: 100 });
    const run = await crowd([
      '--gate',
      gates[1]!,
      '--event',
      eventId,
      '--users',
      '30',
      '--api',
      'seed',
      '--seconds',
      '0.5',
      '--expect-stock',
      '10',
    ]);
    expect(run.code).toBe(0);
    expect(summaryValue(run.stdout, 'issued')).toBe('10');
    expect(summaryValue(run.stdout, 'sold out')).toBe('20');
    expect(await issuedIn(e2e, eventId)).toBe(10);
  });

  it('exits 1 and names the check when more shoppers are ISSUED than --expect-stock', async () => {
    const eventId = await sale('over', { stock: 8, rate: 100 });
    const run = await crowd([
      '--gate',
      gates[0]!,
      '--event',
      eventId,
      '--users',
      '12',
      '--seconds',
      '0',
      '--expect-stock',
      '5',
    ]);
    expect(run.code).toBe(1);
    expect(failedChecks(run.stdout)).toEqual([
      'never more ISSUED than stock: 8 told ISSUED, --expect-stock 5',
      'all the stock issued when the crowd wants it: 8 told ISSUED, expected 5',
    ]);
    expect(run.stdout).toContain('[rediclaim-crowd] FAILED: never more ISSUED than stock;');
  });

  it('exits 1 when shoppers are lost: nobody admitted before --timeout', async () => {
    const eventId = await sale('paused', { stock: 5, rate: 50, paused: true });
    const run = await crowd([
      '--gate',
      gates[0]!,
      '--event',
      eventId,
      '--users',
      '6',
      '--seconds',
      '0',
      '--timeout',
      '2',
      '--json',
    ]);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout) as {
      ok: boolean;
      outcomes: Record<string, number>;
      lostShoppers: string[];
      checks: { name: string; ok: boolean; detail: string }[];
    };
    expect(doc.ok).toBe(false);
    expect(doc.outcomes).toEqual({ LOST: 6 });
    expect(doc.lostShoppers).toHaveLength(6);
    expect(doc.checks.find((c) => !c.ok)).toEqual({
      name: 'every shopper learned the outcome',
      ok: false,
      detail: '6 without an outcome',
    });
  });
});

describe('rediclaim-crowd refuses to start, saying why', () => {
  it.each([
    [[], ['--gate: is required', '--event: is required']],
    [['--gate', 'ftp://x', '--event', 'e'], ['--gate: must be an http:// or https:// URL']],
    [
      ['--gate', 'http://127.0.0.1:8080', '--event', 'e', '--users', '0'],
      ['--users: must be a whole number from 1 to 1000000 (got "0")'],
    ],
    [
      ['--gate', 'http://127.0.0.1:8080', '--event', 'e', '--users', 'many'],
      ['--users: must be a whole number from 1 to 1000000 (got "many")'],
    ],
    [
      ['--gate', 'http://127.0.0.1:8080', '--event', 'e', '--arrival', 'wave'],
      ['--arrival: must be spread, spike or prequeue (got "wave")'],
    ],
    [
      ['--gate', 'http://127.0.0.1:8080', '--event', 'e', '--api', 'v2', '--seconds=-1'],
      ['--api: must be v1 or seed (got "v2")', '--seconds: must be a number of seconds'],
    ],
    [['--gate', 'http://127.0.0.1:8080', '--event', 'no/slash'], ['--event: must be 1-63 letters']],
    [
      ['--gate', 'http://127.0.0.1:8080', '--event', 'e', '--user-prefix', 'a b'],
      ['--user-prefix: may contain only'],
    ],
    [
      ['--gate', 'http://127.0.0.1:8080', '--event', 'e', '--timeout', '0', '--connections', '1e3'],
      ['--timeout: must be a whole number', '--connections: must be a whole number'],
    ],
    [
      ['--gate', 'http://127.0.0.1:8080', '--event', 'e', '--crowd', '5'],
      ["Unknown option '--crowd'"],
    ],
    [['--gate', 'http://127.0.0.1:8080', '--event', 'e', 'extra'], ["Unexpected argument 'extra'"]],
  ])('bad options %j: exit 2 with the message', async (args, messages) => {
    const run = await crowd(args);
    expect(run.code).toBe(2);
    for (const m of messages) expect(run.stderr).toContain(m);
    expect(run.stderr).toContain('Run "rediclaim-crowd --help" for the options.');
    expect(run.stdout).toBe('');
  });

  it('--help prints the usage and exits 0', async () => {
    const run = await crowd(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: rediclaim-crowd --gate URL --event ID [options]');
    for (const option of ['--arrival SHAPE', 'prequeue', '--expect-stock N', '--json'])
      expect(run.stdout).toContain(option);
  });

  it('a gate nobody listens on: exit 3 in a moment, naming the URL', async () => {
    // A port that was free a moment ago: connection refused.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const started = Date.now();
    const run = await crowd(['--gate', `http://127.0.0.1:${port}`, '--event', 'e', '--users', '5']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(
      `rediclaim-crowd: cannot reach the gate at http://127.0.0.1:${port}: ECONNREFUSED`,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('an event the gate does not know: exit 3, pointing at --event', async () => {
    const run = await crowd(['--gate', gates[0]!, '--event', `${e2e.id}-nope`]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`the gate at ${gates[0]} does not know event "${e2e.id}-nope"`);
  });

  it('a URL that is not a rediclaim gate: exit 3', async () => {
    // The gate's internal (admin) port serves no public API.
    const admin = e2e.platform.gateAdminUrls[0]!;
    const run = await crowd(['--gate', admin, '--event', 'e']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      new RegExp(
        `^rediclaim-crowd: (the gate at ${admin} answered GET /v1/events/e with 404|${admin} is not a rediclaim gate)`,
      ),
    );
  });
});
