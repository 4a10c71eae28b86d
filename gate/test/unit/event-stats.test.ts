import { describe, expect, it } from '@jest/globals';
import { eventConfigSchema } from '@rediclaim/core';
import { LiveEvent, eventStatsOf, type StatsReply } from '@rediclaim/gate';
import { eventConfig } from '../support/events.js';

const reply = (rate?: string): StatsReply => ({
  waiting: 0,
  processing: 0,
  tombstone: '',
  fields: new Map(rate === undefined ? [] : [['rate', rate]]),
});
const rateOf = (rate?: string) =>
  eventStatsOf('shop', 'e', undefined, reply(rate), Date.now()).admissionRate;

describe("an event's stats", () => {
  it('reports the observed admission rate in shoppers per second, to 2 decimals', () => {
    expect(rateOf('4.876543210')).toBe(4.88);
    expect(rateOf('199.99999')).toBe(200);
    expect(rateOf('0.5')).toBe(0.5);
    expect(rateOf('0.004')).toBe(0);
  });

  it('reports 0 before the rate was measured, or when what Redis holds is not a number', () => {
    expect(rateOf()).toBe(0);
    expect(rateOf('nan')).toBe(0);
  });
});

describe("an event's backpressure in its stats", () => {
  const event = new LiveEvent(eventConfigSchema.parse(eventConfig('bp', { rate: 2000 })));
  const statsWith = (fields: [string, string][]) =>
    eventStatsOf(
      'shop',
      'bp',
      event,
      { waiting: 0, processing: 0, tombstone: '', fields: new Map(fields) },
      Date.now(),
    ).backpressure;

  it('allows the configured rate while admit.lua has never slowed the sale', () => {
    expect(statsWith([])).toEqual({
      configuredPerSecond: 2000,
      allowedPerSecond: 2000,
      slowed: false,
      overdue: 0,
      slowdowns: 0,
    });
  });

  it('reports the allowed rate in whole shoppers per second, since when and why', () => {
    const since = Date.UTC(2026, 11, 2, 4, 0, 0);
    expect(
      statsWith([
        ['allowFactor', '0.2523'],
        ['allowSlowSince', String(since)],
        ['allowOverdue', '812'],
        ['slowdowns', '3'],
      ]),
    ).toEqual({
      configuredPerSecond: 2000,
      allowedPerSecond: 505,
      slowed: true,
      overdue: 812,
      since: '2026-12-02T04:00:00.000Z',
      slowdowns: 3,
    });
  });

  it('reads what it cannot parse as the whole rate, never above it', () => {
    expect(statsWith([['allowFactor', 'x']])?.allowedPerSecond).toBe(2000);
    expect(statsWith([['allowFactor', '7']])?.allowedPerSecond).toBe(2000);
  });

  it('is absent for an event the config no longer has', () => {
    expect(
      eventStatsOf('shop', 'gone', undefined, reply(), Date.now()).backpressure,
    ).toBeUndefined();
  });
});
