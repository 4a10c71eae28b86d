import { afterEach, describe, expect, it } from '@jest/globals';
import { DatabaseMonitor } from '@rediclaim/issuer';

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};
const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });

/**
 * A monitor over a database the test switches off and on, whose loop waits on a clock
 * the test advances: every delay the loop chooses is seen, none is slept.
 */
function harness(options: { throwingHooks?: boolean } = {}) {
  const db = { up: true, probes: 0 };
  const events: string[] = [];
  const waits: number[] = [];
  let release: (() => void) | undefined;
  const record = (event: string) => {
    events.push(event);
    if (options.throwingHooks) throw new Error('a hook that fails');
  };
  const monitor = new DatabaseMonitor({
    probe: async () => {
      db.probes += 1;
      if (!db.up) throw refused();
    },
    backoff: { baseMs: 100, capMs: 800 },
    intervalMs: 5_000,
    now: () => new Date(Date.UTC(2026, 0, 1)),
    hooks: {
      down: (o) => record(`down ${o.code}`),
      up: (o) => record(`up after ${o.failedChecks} failed checks`),
      checkFailed: (_e, attempt) => record(`check failed ${attempt}`),
    },
    wait: (ms, signal) =>
      new Promise<void>((resolve) => {
        waits.push(ms);
        release = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
  });
  /** The loop's current wait ends; returns once it has checked and waits again. */
  const elapse = async () => {
    release?.();
    await settle();
  };
  return { db, events, waits, monitor, elapse };
}

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops) await stop();
  stops = [];
});
function started(options?: Parameters<typeof harness>[0]) {
  const h = harness(options);
  h.monitor.start();
  stops.push(() => h.monitor.stop());
  return h;
}

describe('watching the database', () => {
  it('checks an idle database every interval, and notices an outage no transaction met', async () => {
    const h = started();
    expect(h.waits).toEqual([5_000]);
    await h.elapse();
    expect(h.db.probes).toBe(1);
    expect(h.waits).toEqual([5_000, 5_000]);
    h.db.up = false;
    await h.elapse();
    expect(h.monitor.up).toBe(false);
    expect(h.events).toEqual(['check failed 1', 'down ECONNREFUSED']);
    expect(h.waits[2]).toBeLessThanOrEqual(100);
  });

  it('during an outage checks alone, with capped exponential backoff, and announces it once', async () => {
    const h = started();
    h.db.up = false;
    await h.monitor.suspect();
    await settle();
    for (let i = 0; i < 5; i++) await h.elapse();
    // After the interval: backoff steps 100, 200, 400, 800, 800, 800 (each jittered to 50-100%).
    const steps = [100, 200, 400, 800, 800, 800];
    expect(h.waits.slice(1)).toHaveLength(steps.length);
    h.waits.slice(1).forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(steps[i]! / 2);
      expect(ms).toBeLessThanOrEqual(steps[i]!);
    });
    expect(h.db.probes).toBe(6);
    expect(h.events.filter((e) => e.startsWith('down'))).toHaveLength(1);

    // Transactions and readiness probes meanwhile add no check: the backoff paces them all.
    await h.monitor.suspect();
    const report = await h.monitor.readiness();
    expect(h.db.probes).toBe(6);
    expect(report.ok).toBe(false);
    expect(report.detail).toMatch(
      /^database unreachable since 2026-01-01T00:00:00.000Z \(6 failed checks, last: ECONNREFUSED: /,
    );
  });

  it('releases the work waiting for the database once a check answers, not before', async () => {
    const h = started();
    h.db.up = false;
    await h.monitor.suspect();
    let resumed: boolean | undefined;
    void h.monitor.untilUp().then((up) => (resumed = up));
    await h.elapse();
    await h.elapse();
    expect(resumed).toBeUndefined();
    h.db.up = true;
    await h.elapse();
    expect(resumed).toBe(true);
    expect(h.events.at(-1)).toBe('up after 3 failed checks');
    expect(h.monitor.up).toBe(true);
    // Healthy again: back to the long interval.
    expect(h.waits.at(-1)).toBe(5_000);
    expect(await h.monitor.readiness()).toEqual({ ok: true });
  });

  it('takes a failure that a ping answers (a deadlock, a timeout) for no outage', async () => {
    const h = started();
    await h.monitor.suspect();
    expect(h.db.probes).toBe(1);
    expect(h.monitor.up).toBe(true);
    expect(h.events).toEqual([]);
    expect(await h.monitor.untilUp()).toBe(true);
  });

  it('makes a retry that starts while a check is running wait for its verdict', async () => {
    const h = started();
    h.db.up = false;
    const verdict = h.monitor.suspect();
    let resumed: boolean | undefined;
    void h.monitor.untilUp().then((up) => (resumed = up));
    await verdict;
    await settle();
    expect(h.monitor.up).toBe(false);
    expect(resumed).toBeUndefined();
  });

  it('sees an outage at a readiness probe while it believes the database up', async () => {
    const h = started();
    expect(await h.monitor.readiness()).toEqual({ ok: true });
    h.db.up = false;
    expect((await h.monitor.readiness()).ok).toBe(false);
    expect(h.db.probes).toBe(2);
    expect(h.events).toEqual(['check failed 1', 'down ECONNREFUSED']);
  });

  it('gives up waiting when the caller aborts or the monitor stops', async () => {
    const h = harness();
    h.monitor.start();
    h.db.up = false;
    await h.monitor.suspect();
    const abort = new AbortController();
    const byCaller = h.monitor.untilUp(abort.signal);
    const byStop = h.monitor.untilUp();
    abort.abort();
    expect(await byCaller).toBe(false);
    await h.monitor.stop();
    expect(await byStop).toBe(false);
    expect(await h.monitor.untilUp()).toBe(false);
  });

  it('keeps checking when a hook throws', async () => {
    const h = started({ throwingHooks: true });
    h.db.up = false;
    await h.monitor.suspect();
    h.db.up = true;
    await h.elapse();
    expect(h.events).toEqual(['check failed 1', 'down ECONNREFUSED', 'up after 1 failed checks']);
    expect(h.monitor.up).toBe(true);
  });
});
