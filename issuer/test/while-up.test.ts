import { describe, expect, it } from '@jest/globals';
import { AbandonedError, DatabaseMonitor, whileUp } from '@rediclaim/issuer';

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

/** A monitor whose loop never runs on its own: only suspect() and readiness() check. */
function monitorOver(db: { up: boolean }) {
  return new DatabaseMonitor({
    probe: async () => {
      if (!db.up) throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    },
    backoff: { baseMs: 1, capMs: 1 },
    intervalMs: 60_000,
  });
}

describe('a database step that waits out an outage', () => {
  it('asks the monitor for a verdict before it fails, so the retry meets it', async () => {
    const db = { up: true };
    const monitor = monitorOver(db);
    const step = whileUp(monitor, async () => {
      db.up = false;
      throw Object.assign(new Error('Connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' });
    });
    await expect(step()).rejects.toThrow('Connection lost');
    expect(monitor.up).toBe(false);
  });

  it('does not start while the database is down, and starts once it answers', async () => {
    const db = { up: false };
    const monitor = monitorOver(db);
    monitor.start();
    try {
      await monitor.readiness();
      let calls = 0;
      const step = whileUp(monitor, async (n: number) => {
        calls += 1;
        return n * 2;
      });
      const result = step(21);
      await settle();
      expect(calls).toBe(0);
      db.up = true;
      expect(await result).toBe(42);
      expect(calls).toBe(1);
    } finally {
      await monitor.stop();
    }
  });

  it('gives up untried (AbandonedError) when its signal aborts during the outage', async () => {
    const db = { up: false };
    const monitor = monitorOver(db);
    await monitor.readiness();
    const deadline = new AbortController();
    let calls = 0;
    const step = whileUp(
      monitor,
      async () => {
        calls += 1;
      },
      deadline.signal,
    );
    const result = step();
    deadline.abort();
    await expect(result).rejects.toBeInstanceOf(AbandonedError);
    expect(calls).toBe(0);
  });
});
