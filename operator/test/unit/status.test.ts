import { describe, expect, it } from '@jest/globals';
import {
  eventConfigFromCouponEvent,
  type CouponEventSpecInput,
  type EventConfig,
} from '@rediclaim/core';
import {
  desiredStatus,
  requeueAfterMs,
  transitionEvents,
  type StatusInputs,
} from '../../src/index.js';

const spec: CouponEventSpecInput = {
  schedule: { opensAt: '2026-11-27T01:00:00Z', closesAt: '2026-11-27T03:00:00Z' },
  admission: { dispatchPerSecond: 100 },
  coupon: { stock: 100, validity: { validForHours: 1 }, discount: { type: 'percent', percent: 5 } },
};
const config: EventConfig = eventConfigFromCouponEvent({
  apiVersion: 'rediclaim.io/v1alpha1',
  kind: 'CouponEvent',
  metadata: { namespace: 'shop', name: 'sale', uid: 'u1', generation: 2 },
  spec,
});
const stats = {
  tenant: 'shop',
  eventId: 'sale',
  known: true,
  waiting: 5,
  processing: 1,
  issued: 10,
  remaining: 90,
  soldOut: false,
};
const base = (over: Partial<StatusInputs> = {}): StatusInputs => ({
  generation: 2,
  eventId: 'sale',
  verdict: { accepted: true, config },
  effective: config,
  configuredGeneration: 2,
  configError: undefined,
  configMapRef: 'rc/rediclaim-events',
  stats,
  statsError: undefined,
  issuer: { status: 'True', reason: 'Scaled', message: 'ok' },
  previous: undefined,
  now: new Date('2026-11-27T02:00:00Z'),
  ...over,
});

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
      ['Accepted', 'False', 'InvalidSpec'],
      ['Configured', 'False', 'NotAccepted'],
    ]);
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
});
