import { describe, expect, it } from '@jest/globals';
import { desiredStatus } from '../../src/reconcilers/couponevent/status.js';
import { base, stats } from '../support/status-inputs.js';

describe('the status the operator writes', () => {
  it('describes an open, configured event with its counts and next change', () => {
    const status = desiredStatus(base());
    expect(status).toMatchObject({
      observedGeneration: 2,
      phase: 'Open',
      eventId: 'sale',
      stock: 100,
      counts: { waiting: 5, processing: 1, issued: 10, remaining: 90 },
      nextTransitionAt: '2026-11-27T03:00:00Z',
    });
    expect(status.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['Ready', 'True'],
      ['Accepted', 'True'],
      ['Configured', 'True'],
      ['SoldOut', 'False'],
      ['IssuerScaled', 'True'],
      ['CountsAvailable', 'True'],
    ]);
  });

  it('is the same when nothing changed, so a second reconcile writes nothing', () => {
    const first = desiredStatus(base());
    const second = desiredStatus(base({ previous: first, now: new Date('2026-11-27T02:10:00Z') }));
    expect(second).toEqual(first);
  });

  it('says Failed with nothing rendered when the spec was never accepted', () => {
    const status = desiredStatus(
      base({
        verdict: { accepted: false, reason: 'InvalidSpec', message: 'bad' },
        effective: undefined,
        configuredGeneration: undefined,
        stats: undefined,
      }),
    );
    expect(status.phase).toBe('Failed');
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', 'InvalidSpec'],
      ['Stalled', 'True', 'InvalidSpec'],
      ['Accepted', 'False', 'InvalidSpec'],
      ['Configured', 'False', 'NotAccepted'],
    ]);
  });

  it('is Ready=False and Reconciling while the accepted generation is not configured yet', () => {
    const status = desiredStatus(base({ configuredGeneration: 1 }));
    expect(status.conditions?.slice(0, 2).map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'False', status.conditions?.find((c) => c.type === 'Configured')?.reason],
      ['Reconciling', 'True', status.conditions?.find((c) => c.type === 'Configured')?.reason],
    ]);
    expect(status.conditions?.find((c) => c.type === 'Stalled')).toBeUndefined();
  });

  it('drops Stalled once a refused spec is fixed, keeping only Ready=True', () => {
    const refused = desiredStatus(
      base({ verdict: { accepted: false, reason: 'InvalidSpec', message: 'bad' } }),
    );
    const fixed = desiredStatus(base({ previous: refused }));
    expect(fixed.conditions?.map((c) => c.type)).not.toContain('Stalled');
    expect(fixed.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True' });
  });

  it('reports the coupons redeemed at the shop, and leaves the count out for a gate that does not say', () => {
    expect(desiredStatus(base({ stats: { ...stats, redeemed: 3 } })).counts).toEqual({
      waiting: 5,
      processing: 1,
      issued: 10,
      remaining: 90,
      redeemed: 3,
    });
    expect(desiredStatus(base({ stats: { ...stats, redeemed: 0 } })).counts?.redeemed).toBe(0);
    // A gate one version older (a rolling upgrade) has no redeemed in its stats.
    expect(desiredStatus(base()).counts).not.toHaveProperty('redeemed');
  });

  it('keeps the last counts and says so when the gate does not answer', () => {
    const previous = desiredStatus(base());
    const status = desiredStatus(
      base({ previous, stats: undefined, statsError: 'connection refused' }),
    );
    expect(status.counts).toEqual(previous.counts);
    expect(status.conditions?.find((c) => c.type === 'CountsAvailable')).toMatchObject({
      status: 'False',
      reason: 'GateUnreachable',
    });
  });

  it('reads SoldOut from the gate while the event has not closed', () => {
    expect(desiredStatus(base({ stats: { ...stats, soldOut: true, remaining: 0 } })).phase).toBe(
      'SoldOut',
    );
  });
});
