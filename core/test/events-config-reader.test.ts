import { describe, expect, it } from '@jest/globals';
import {
  EventsConfigReader,
  eventConfigFromCouponEvent,
  parseEventsConfig,
  renderEventsConfig,
  type CouponEvent,
  type EventConfig,
} from '@rediclaim/core';
import { validSpec } from './support/fixtures.js';

const event = (id: string, stock = 1000): EventConfig => {
  const spec = validSpec();
  spec.eventId = id;
  spec.coupon.stock = stock;
  const ce: CouponEvent = {
    apiVersion: 'rediclaim.io/v1alpha1',
    kind: 'CouponEvent',
    metadata: { name: id, namespace: 'shop', uid: `u-${id}`, generation: 1 },
    spec,
  };
  return eventConfigFromCouponEvent(ce);
};

const caught = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
};

describe('reading successive versions of a config shard', () => {
  it('reads what the operator writes as parseEventsConfig does, keeping the entries that did not change', () => {
    const reader = new EventsConfigReader();
    const v1 = renderEventsConfig([event('a'), event('b'), event('c')]);
    const first = reader.read(v1, 'shard');
    expect(first).toEqual(parseEventsConfig(v1, 'shard'));
    const v2 = renderEventsConfig([event('a'), event('b', 5), event('c'), event('d')]);
    const second = reader.read(v2, 'shard');
    expect(second).toEqual(parseEventsConfig(v2, 'shard'));
    const byId = (config: typeof first, id: string) => config.events.find((e) => e.id === id);
    expect(byId(second, 'a')).toBe(byId(first, 'a'));
    expect(byId(second, 'c')).toBe(byId(first, 'c'));
    expect(byId(second, 'b')?.coupon.stock).toBe(5);
    expect(reader.read(renderEventsConfig([]), 'shard').events).toEqual([]);
  });

  it('reads a hand-written text whole, aliases and all', () => {
    const text = `apiVersion: rediclaim.io/v1alpha1
kind: EventsConfig
events:
  - id: "1001"
    schedule: &when { opensAt: "2026-11-27T00:00:00Z" }
    admission: &rate { dispatchPerSecond: 100 }
    coupon: &coupon { stock: 10, validity: { validForHours: 1 }, discount: { type: percent, percent: 5 } }
  - id: "1002"
    schedule: *when
    admission: *rate
    coupon: *coupon
`;
    expect(new EventsConfigReader().read(text, 'f').events.map((e) => e.id)).toEqual([
      '1001',
      '1002',
    ]);
  });

  it('refuses what parseEventsConfig refuses, with its message', () => {
    const good = renderEventsConfig([event('a'), event('b')]);
    const reader = new EventsConfigReader();
    reader.read(good, 'shard');
    const broken = good.replace(/stock: 1000/g, 'stock: 0');
    expect(caught(() => reader.read(broken, 'shard'))).toBe(
      caught(() => parseEventsConfig(broken, 'shard')),
    );
    const twice = good + good.slice(good.indexOf('  - '));
    expect(caught(() => reader.read(twice, 'shard'))).toMatch(/is already used by events\[0\]/);
    // And reads the good version again afterwards.
    expect(reader.read(good, 'shard').events).toHaveLength(2);
  });
});
