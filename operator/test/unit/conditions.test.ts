import { describe, expect, it } from '@jest/globals';
import { mergeConditions } from '../../src/reconcilers/couponevent/conditions.js';

const t0 = new Date('2026-11-27T00:00:00.456Z');
const t1 = new Date('2026-11-27T00:05:00Z');

describe('conditions', () => {
  it('stamps a new condition with now (whole seconds) and the generation', () => {
    expect(
      mergeConditions(
        undefined,
        [{ type: 'Accepted', status: 'True', reason: 'Valid', message: 'ok' }],
        3,
        t0,
      ),
    ).toEqual([
      {
        type: 'Accepted',
        status: 'True',
        reason: 'Valid',
        message: 'ok',
        lastTransitionTime: '2026-11-27T00:00:00Z',
        observedGeneration: 3,
      },
    ]);
  });

  it('keeps lastTransitionTime while the status stays, even when reason or message change', () => {
    const before = mergeConditions(
      undefined,
      [{ type: 'Accepted', status: 'False', reason: 'InvalidSpec', message: 'a' }],
      1,
      t0,
    );
    const after = mergeConditions(
      before,
      [{ type: 'Accepted', status: 'False', reason: 'StockBelowIssued', message: 'b' }],
      2,
      t1,
    );
    expect(after[0]).toMatchObject({
      reason: 'StockBelowIssued',
      lastTransitionTime: '2026-11-27T00:00:00Z',
      observedGeneration: 2,
    });
  });

  it('moves lastTransitionTime when the status flips, and drops conditions no longer stated', () => {
    const before = mergeConditions(
      undefined,
      [
        { type: 'Accepted', status: 'False', reason: 'InvalidSpec', message: 'a' },
        { type: 'CleanedUp', status: 'False', reason: 'GateUnreachable', message: 'b' },
      ],
      1,
      t0,
    );
    const after = mergeConditions(
      before,
      [{ type: 'Accepted', status: 'True', reason: 'Valid', message: 'c' }],
      1,
      t1,
    );
    expect(after).toHaveLength(1);
    expect(after[0]!.lastTransitionTime).toBe('2026-11-27T00:05:00Z');
  });
});
