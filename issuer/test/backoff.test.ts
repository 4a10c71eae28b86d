import { describe, expect, it } from '@jest/globals';
import { backoffDelay, errorCode, sleep } from '@rediclaim/issuer';

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

  it('names errors by their driver code', () => {
    expect(errorCode(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(errorCode(Object.assign(new Error('x'), { code: 'ER_LOCK_DEADLOCK' }))).toBe(
      'ER_LOCK_DEADLOCK',
    );
    expect(errorCode(new TypeError('x'))).toBe('TypeError');
    expect(errorCode('text')).toBe('UNKNOWN');
  });
});
