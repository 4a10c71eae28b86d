import { describe, expect, it } from '@jest/globals';
import { acceptsJoins, eventPhase, nextScheduleChange, schedulePhase } from '@rediclaim/core';

const at = (iso: string) => Date.parse(iso);
const event = (mode: 'fifo' | 'paused' = 'fifo') => ({
  schedule: {
    preQueueOpensAt: '2026-12-01T09:30:00Z',
    opensAt: '2026-12-01T10:00:00Z',
    closesAt: '2026-12-01T12:00:00Z',
  },
  admission: { mode },
});

describe('event phase from the schedule', () => {
  it.each([
    ['2026-12-01T09:00:00Z', 'Scheduled'],
    ['2026-12-01T09:30:00Z', 'PreQueue'],
    ['2026-12-01T09:59:59.999Z', 'PreQueue'],
    ['2026-12-01T10:00:00Z', 'Open'],
    ['2026-12-01T11:59:59Z', 'Open'],
    ['2026-12-01T12:00:00Z', 'Closed'],
  ])('at %s the event is %s', (now, phase) => {
    expect(schedulePhase(event(), at(now))).toBe(phase);
  });

  it('holds an open event in Paused while admission is paused', () => {
    expect(schedulePhase(event('paused'), at('2026-12-01T10:30:00Z'))).toBe('Paused');
  });

  it('goes straight from Scheduled to Open without a pre-queue', () => {
    const e = {
      schedule: { opensAt: '2026-12-01T10:00:00Z' },
      admission: { mode: 'fifo' as const },
    };
    expect(schedulePhase(e, at('2026-12-01T09:59:00Z'))).toBe('Scheduled');
    expect(schedulePhase(e, at('2030-01-01T00:00:00Z'))).toBe('Open');
  });

  it('shows SoldOut while the sale runs, and Closed once it ends', () => {
    expect(eventPhase(event(), at('2026-12-01T10:30:00Z'), true)).toBe('SoldOut');
    expect(eventPhase(event('paused'), at('2026-12-01T10:30:00Z'), true)).toBe('SoldOut');
    expect(eventPhase(event(), at('2026-12-01T12:30:00Z'), true)).toBe('Closed');
  });

  it('lets shoppers join during the pre-queue, while open and while paused, and at no other time', () => {
    expect(
      ['Scheduled', 'PreQueue', 'Open', 'Paused', 'SoldOut', 'Closed', 'Failed'].filter((p) =>
        acceptsJoins(p as never),
      ),
    ).toEqual(['PreQueue', 'Open', 'Paused']);
  });

  it('knows when the phase changes next, so the operator can wake up then', () => {
    expect(nextScheduleChange(event().schedule, at('2026-12-01T09:00:00Z'))).toBe(
      at('2026-12-01T09:30:00Z'),
    );
    expect(nextScheduleChange(event().schedule, at('2026-12-01T09:45:00Z'))).toBe(
      at('2026-12-01T10:00:00Z'),
    );
    expect(nextScheduleChange(event().schedule, at('2026-12-01T10:00:00Z'))).toBe(
      at('2026-12-01T12:00:00Z'),
    );
    expect(nextScheduleChange(event().schedule, at('2026-12-01T12:00:00Z'))).toBeUndefined();
  });
});
