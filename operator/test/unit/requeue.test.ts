import { describe, expect, it } from '@jest/globals';
import { requeueAfterMs } from '../../src/reconcilers/couponevent/requeue.js';

describe('when to look again', () => {
  it('polls an open event and stops polling a closed one with nothing in flight', () => {
    const now = new Date('2026-11-27T02:00:00Z');
    expect(
      requeueAfterMs({ phase: 'Open', nextTransitionAt: '2026-11-27T03:00:00Z' }, now, 3000),
    ).toBe(3000);
    expect(requeueAfterMs({ phase: 'Closed' }, now, 3000)).toBeUndefined();
    expect(
      requeueAfterMs(
        { phase: 'Closed', counts: { waiting: 0, processing: 2, issued: 1, remaining: 0 } },
        now,
        3000,
      ),
    ).toBe(3000);
  });

  it('wakes a scheduled event just after its boundary', () => {
    const now = new Date('2026-11-27T00:59:59Z');
    expect(
      requeueAfterMs({ phase: 'Scheduled', nextTransitionAt: '2026-11-27T01:00:00Z' }, now, 3000),
    ).toBe(1025);
  });
});
