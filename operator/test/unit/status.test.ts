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

  describe('admission', () => {
    const backpressure = (allowedPerSecond: number, slowed = allowedPerSecond < 100) => ({
      configuredPerSecond: 100,
      allowedPerSecond,
      slowed,
      overdue: slowed ? 250 : 0,
      slowdowns: slowed ? 2 : 0,
    });
    const admittingOf = (status: ReturnType<typeof desiredStatus>) =>
      status.conditions?.find((c) => c.type === 'AdmittingAtRate');

    it('says the gates may admit at the configured rate while issuance keeps up', () => {
      const status = desiredStatus(
        base({ stats: { ...stats, admissionRate: 97.6, backpressure: backpressure(100) } }),
      );
      expect(admittingOf(status)).toMatchObject({ status: 'True', reason: 'ConfiguredRate' });
      expect(status.admission).toEqual({
        configuredPerSecond: 100,
        allowedPerSecond: 100,
        observedPerSecond: 98,
      });
    });

    it('says how far the gates slowed down when issuance falls behind, in a message that does not change with the numbers', () => {
      const slowed = desiredStatus(
        base({ stats: { ...stats, admissionRate: 24.2, backpressure: backpressure(25) } }),
      );
      expect(admittingOf(slowed)).toMatchObject({ status: 'False', reason: 'IssuanceBehind' });
      expect(slowed.admission).toEqual({
        configuredPerSecond: 100,
        allowedPerSecond: 25,
        observedPerSecond: 24,
      });
      const slower = desiredStatus(
        base({ previous: slowed, stats: { ...stats, backpressure: backpressure(12) } }),
      );
      expect(admittingOf(slower)).toEqual(admittingOf(slowed));
      // Slowed down is an observation: the event stays Ready.
      expect(slowed.conditions?.[0]).toMatchObject({ type: 'Ready', status: 'True' });
    });

    it('passes on why a gate admits nobody new (Kafka unreachable)', () => {
      const status = desiredStatus(
        base({
          stats: {
            ...stats,
            backpressure: backpressure(100),
            admission: { paused: true, reason: 'KafkaUnavailable', message: 'Kafka is away.' },
          },
        }),
      );
      expect(admittingOf(status)).toMatchObject({
        status: 'False',
        reason: 'KafkaUnavailable',
        message: 'Kafka is away.',
      });
    });

    it('judges nothing outside Open, and nothing from a gate that does not report backpressure', () => {
      const closed = desiredStatus(
        base({
          now: new Date('2026-11-27T04:00:00Z'),
          stats: { ...stats, backpressure: backpressure(10) },
        }),
      );
      expect(admittingOf(closed)).toMatchObject({ status: 'True', reason: 'NotAdmitting' });
      expect(closed.admission).toBeUndefined();
      const older = desiredStatus(base());
      expect(admittingOf(older)).toBeUndefined();
      expect(older.admission).toBeUndefined();
    });
  });
});
