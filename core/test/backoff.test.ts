import { describe, expect, it } from '@jest/globals';
import { backoffDelay, sleep } from '@rediclaim/core';

// The backoff every retry of the services waits on (database, broker, publish, API server).
describe('retry backoff', () => {
  const policy = { baseMs: 100, capMs: 5_000 };

  it('doubles from the base and stops at the cap', () => {
    const top = (attempt: number) => backoffDelay(attempt, policy, () => 1);
    expect([1, 2, 3, 4, 7, 50].map(top)).toEqual([100, 200, 400, 800, 5_000, 5_000]);
  });

  it('jitters between half and all of the step', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(200);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(300);
  });

  it('wakes a sleeper at once when its signal aborts', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const slept = sleep(10_000, abort.signal);
    abort.abort();
    await slept;
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
