import { describe, expect, it } from '@jest/globals';
import { desiredStatus } from '../../src/reconcilers/couponevent/status.js';
import { transitionEvents } from '../../src/reconcilers/couponevent/status-events.js';
import { base, stats } from '../support/status-inputs.js';

describe('Kubernetes Events from a status change', () => {
  it('announces a refusal once, a new configuration and a phase change', () => {
    const open = desiredStatus(base());
    const scheduled = desiredStatus(base({ now: new Date('2026-11-27T00:00:00Z') }));
    expect(transitionEvents(scheduled, open).map((e) => e.reason)).toEqual(['PhaseChanged']);
    // A new event gets one Event that also says its phase.
    expect(transitionEvents(undefined, open)).toEqual([
      expect.objectContaining({
        reason: 'Configured',
        note: expect.stringMatching(/Phase is Open\.$/),
      }),
    ]);
    const refused = desiredStatus(
      base({
        previous: open,
        verdict: { accepted: false, reason: 'StockBelowIssued', message: 'too low' },
      }),
    );
    expect(transitionEvents(open, refused)).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'StockBelowIssued' }),
    ]);
    expect(transitionEvents(refused, refused)).toEqual([]);
  });

  it('warns once when admission slows because issuance falls behind, and says when it recovers', () => {
    const bp = (allowedPerSecond: number) => ({
      configuredPerSecond: 100,
      allowedPerSecond,
      slowed: allowedPerSecond < 100,
      overdue: 0,
      slowdowns: 1,
    });
    const atRate = desiredStatus(base({ stats: { ...stats, backpressure: bp(100) } }));
    const slowed = desiredStatus(
      base({ previous: atRate, stats: { ...stats, backpressure: bp(50) } }),
    );
    const slower = desiredStatus(
      base({ previous: slowed, stats: { ...stats, backpressure: bp(25) } }),
    );
    const back = desiredStatus(
      base({ previous: slower, stats: { ...stats, backpressure: bp(100) } }),
    );
    expect(transitionEvents(atRate, slowed)).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'AdmissionSlowed' }),
    ]);
    expect(transitionEvents(slowed, slower)).toEqual([]);
    expect(transitionEvents(slower, back)).toEqual([
      expect.objectContaining({ type: 'Normal', reason: 'AdmissionRecovered' }),
    ]);
  });
});
