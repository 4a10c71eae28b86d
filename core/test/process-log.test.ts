import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '@rediclaim/hack/testing';

// A real Node process (core's build, as the services run it) that routes its process
// events through pino: what it writes to stdout and stderr, line by line.
function run(body: string): { status: number | null; stdout: string[]; stderr: string } {
  const script = `
    import { pino } from 'pino';
    import { EventEmitter } from 'node:events';
    import { logOptions, logProcessEvents } from '@rediclaim/core';
    const logger = pino(logOptions('gate', 'info'));
    logProcessEvents(process, logger);
    ${body}
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: `${repoRoot}/gate`,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
  });
  return {
    status: child.status,
    stdout: child.stdout.split('\n').filter((line) => line.length > 0),
    stderr: child.stderr,
  };
}

interface Line {
  level: string;
  msg: string;
  service?: string;
  component?: string;
  warning: { name: string; code?: string; stack?: string };
}
const parsed = (lines: string[]) => lines.map((line) => JSON.parse(line) as Line);

describe("Node's process events as log records", () => {
  it('logs the warnings Node would print, as warn records, and prints nothing else', () => {
    const out = run(`
      process.emitWarning('old API', 'DeprecationWarning', 'DEP0999');
      const emitter = new EventEmitter();
      for (let i = 0; i < 11; i++) emitter.on('x', () => undefined);
      setTimeout(() => undefined, -1);
    `);
    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const records = parsed(out.stdout);
    expect(records.map((r) => [r.level, r.service, r.component, r.warning.name])).toEqual([
      ['warn', 'gate', 'node', 'DeprecationWarning'],
      ['warn', 'gate', 'node', 'MaxListenersExceededWarning'],
      ['warn', 'gate', 'node', 'TimeoutNegativeWarning'],
    ]);
    expect(records[0]).toMatchObject({
      msg: 'DeprecationWarning: old API',
      warning: { code: 'DEP0999', stack: expect.stringContaining('DeprecationWarning: old API') },
    });
    // The emitter the warning is about stays out of the line.
    expect(JSON.stringify(records[1])).not.toContain('_events');
  });

  it('logs an uncaught exception as a fatal record and exits with 1, as Node would', () => {
    const out = run(`setImmediate(() => { throw new Error('boom'); });`);
    expect(out.status).toBe(1);
    expect(out.stderr).toBe('');
    expect(parsed(out.stdout)).toEqual([
      expect.objectContaining({
        level: 'fatal',
        msg: 'uncaught exception',
        err: expect.objectContaining({ message: 'boom' }),
      }),
    ]);
  });

  it('logs an unhandled rejection as a fatal record and exits with 1, as Node would', () => {
    const out = run(`void Promise.reject(new Error('nobody waits'));`);
    expect(out.status).toBe(1);
    expect(out.stderr).toBe('');
    expect(parsed(out.stdout)).toEqual([
      expect.objectContaining({ level: 'fatal', msg: 'unhandled rejection' }),
    ]);
  });
});
