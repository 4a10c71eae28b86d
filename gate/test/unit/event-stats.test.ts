import { describe, expect, it } from '@jest/globals';
import { eventStatsOf, type StatsReply } from '@rediclaim/gate';

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
