import { describe, expect, it } from '@jest/globals';
import { CouponEventApi, type CouponEvent, type CouponEventStatus } from '@rediclaim/core';
import { Registry } from 'prom-client';
import { registerCouponEventMetrics } from '../../src/couponevent-metrics.js';
import { scrape, select, valueOf } from '../support/metrics.js';

const opensAt = '2030-05-01T10:00:00Z';

function couponEvent(
  name: string,
  status?: CouponEventStatus,
  { generation = 1, eventId }: { generation?: number; eventId?: string } = {},
): CouponEvent {
  return {
    apiVersion: CouponEventApi.apiVersion,
    kind: CouponEventApi.kind,
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, generation },
    spec: {
      ...(eventId ? { eventId } : {}),
      schedule: { opensAt },
      admission: { dispatchPerSecond: 10 },
      coupon: {
        stock: 100,
        validity: { validForHours: 1 },
        discount: { type: 'percent', percent: 10 },
      },
    },
    ...(status ? { status } : {}),
  };
}

const condition = (type: string, status: 'True' | 'False', observedGeneration = 1) => ({
  type,
  status,
  reason: 'Because',
  message: 'Because.',
  lastTransitionTime: '2030-05-01T11:30:00Z',
  observedGeneration,
});

/** A registry with the gauges over `events` (a live list: change it between scrapes). */
function gauges(events: CouponEvent[]) {
  const registry = new Registry();
  registerCouponEventMetrics(registry, () => events);
  return () => scrape(registry);
}

describe('the CouponEvent gauges', () => {
  it('labels each event with namespace, name, and the tenant and event id the gate uses', async () => {
    const samples = await gauges([couponEvent('spring', undefined, { eventId: 'spring-2030' })])();
    expect(select(samples, 'rediclaim_couponevent_info')).toEqual([
      {
        name: 'rediclaim_couponevent_info',
        labels: {
          namespace: 'shop',
          name: 'spring',
          tenant: 'shop',
          event: 'spring-2030',
          phase: 'Unknown',
        },
        value: 1,
      },
    ]);
  });

  it('leaves out what the status does not say yet, and says not ready', async () => {
    const samples = await gauges([couponEvent('new')])();
    const of = (name: string) => select(samples, name, { name: 'new' });
    for (const absent of [
      'rediclaim_couponevent_stock',
      'rediclaim_couponevent_issued',
      'rediclaim_couponevent_remaining',
      'rediclaim_couponevent_waiting',
      'rediclaim_couponevent_processing',
      'rediclaim_couponevent_redeemed',
      'rediclaim_couponevent_sold_out_timestamp_seconds',
    ])
      expect(of(absent)).toEqual([]);
    expect(valueOf(samples, 'rediclaim_couponevent_ready', { event: 'new' })).toBe(0);
    expect(valueOf(samples, 'rediclaim_couponevent_opens_timestamp_seconds')).toBe(
      Date.parse(opensAt) / 1000,
    );
  });

  it('reports the counts, the stock and the sold-out time from the status', async () => {
    const status: CouponEventStatus = {
      observedGeneration: 1,
      phase: 'SoldOut',
      stock: 100,
      counts: { waiting: 3, processing: 2, issued: 100, remaining: 0, redeemed: 7 },
      conditions: [condition('Ready', 'True'), condition('SoldOut', 'True')],
    };
    const samples = await gauges([couponEvent('gone', status)])();
    const value = (name: string) => valueOf(samples, `rediclaim_couponevent_${name}`);
    expect(value('stock')).toBe(100);
    expect(value('issued')).toBe(100);
    expect(value('remaining')).toBe(0);
    expect(value('waiting')).toBe(3);
    expect(value('processing')).toBe(2);
    expect(value('redeemed')).toBe(7);
    expect(value('ready')).toBe(1);
    expect(value('sold_out_timestamp_seconds')).toBe(Date.parse('2030-05-01T11:30:00Z') / 1000);
    expect(valueOf(samples, 'rediclaim_couponevent_info', { phase: 'SoldOut' })).toBe(1);
  });

  it('is not ready when Ready is False, or True for an older generation', async () => {
    const samples = await gauges([
      couponEvent('refused', { conditions: [condition('Ready', 'False')] }),
      couponEvent('stale', { conditions: [condition('Ready', 'True', 1)] }, { generation: 2 }),
      couponEvent('unjudged', { observedGeneration: 2, conditions: [] }, { generation: 2 }),
    ])();
    for (const name of ['refused', 'stale', 'unjudged'])
      expect(valueOf(samples, 'rediclaim_couponevent_ready', { name })).toBe(0);
  });

  it('has no sold-out time while SoldOut is False, and no opening time it cannot read', async () => {
    const broken = couponEvent('broken', { conditions: [condition('SoldOut', 'False')] });
    broken.spec = { ...broken.spec, schedule: { opensAt: 'soon' } };
    const samples = await gauges([broken])();
    expect(select(samples, 'rediclaim_couponevent_sold_out_timestamp_seconds')).toEqual([]);
    expect(select(samples, 'rediclaim_couponevent_opens_timestamp_seconds')).toEqual([]);
  });

  it('drops every series of an event gone from the cache at the next scrape', async () => {
    const events = [couponEvent('a', { phase: 'Open', stock: 5 }), couponEvent('b')];
    const read = gauges(events);
    expect(select(await read(), 'rediclaim_couponevent_info')).toHaveLength(2);
    events.splice(0, 1);
    const samples = await read();
    expect(samples.filter((s) => s.labels.name === 'a')).toEqual([]);
    expect(samples.filter((s) => s.labels.name === 'b').length).toBeGreaterThan(0);
  });
});
