import { describe, expect, it } from '@jest/globals';
import {
  eventConfigFromCouponEvent,
  parseEventsConfig,
  renderEventsConfig,
  RediclaimError,
  type CouponEvent,
} from '@rediclaim/core';
import { validSpec } from './support/fixtures.js';

const couponEvent = (spec = validSpec()): CouponEvent => ({
  apiVersion: 'rediclaim.io/v1alpha1',
  kind: 'CouponEvent',
  metadata: { name: 'bf', namespace: 'shop-a', uid: 'u-1', generation: 3 },
  spec,
});

describe('rendered events config', () => {
  it('turns a CouponEvent into the config gate and issuer read, defaults applied', () => {
    const config = eventConfigFromCouponEvent(couponEvent());
    expect(config).toMatchObject({
      id: 'black-friday',
      tenant: 'shop-a',
      name: 'bf',
      uid: 'u-1',
      generation: 3,
      admission: { dispatchPerSecond: 100, mode: 'fifo' },
      coupon: { stock: 1000, perUserLimit: 1, code: { prefix: '', length: 12 } },
    });
    expect(config).not.toHaveProperty('eventId');
  });

  it('uses the CouponEvent name as the event id when spec.eventId is unset', () => {
    const spec = validSpec();
    delete spec.eventId;
    expect(eventConfigFromCouponEvent(couponEvent(spec)).id).toBe('bf');
  });

  it('refuses a stored CouponEvent the schema should have rejected, naming the spec field', () => {
    const spec = validSpec();
    spec.coupon.stock = 0;
    expect(() => eventConfigFromCouponEvent(couponEvent(spec))).toThrow(
      'CouponEvent shop-a/bf is invalid: spec.coupon.stock: must be at least 1',
    );
  });

  it('round-trips through the YAML the operator writes', () => {
    const events = [eventConfigFromCouponEvent(couponEvent())];
    const text = renderEventsConfig(events);
    expect(parseEventsConfig(text, 'ConfigMap rediclaim/rediclaim-events').events).toEqual(events);
  });

  it("carries the event's proof of work into the rendered config, off when unset", () => {
    expect(eventConfigFromCouponEvent(couponEvent()).admission.proofOfWork).toEqual({
      enabled: false,
      difficulty: 100_000,
      challengeTtlSeconds: 120,
    });
    const spec = validSpec();
    spec.admission.proofOfWork = {
      enabled: true,
      difficulty: 40_000,
      spike: { joinsPerSecond: 300, difficulty: 400_000 },
    };
    const events = [eventConfigFromCouponEvent(couponEvent(spec))];
    const text = renderEventsConfig(events);
    expect(text).toContain('proofOfWork:');
    const [read] = parseEventsConfig(text, 'ConfigMap rediclaim/rediclaim-events').events;
    expect(read!.admission.proofOfWork).toEqual({
      enabled: true,
      difficulty: 40_000,
      challengeTtlSeconds: 120,
      spike: { joinsPerSecond: 300, difficulty: 400_000, holdSeconds: 60 },
    });
  });

  it('renders the same bytes for the same events in any order, so the operator writes only on change', () => {
    const a = { ...eventConfigFromCouponEvent(couponEvent()), id: 'a' };
    const b = { ...a, id: 'b' };
    expect(renderEventsConfig([a, b])).toBe(renderEventsConfig([b, a]));
  });

  it('reads a hand-written file for a standalone run, with tenant and generation defaulted', () => {
    const config = parseEventsConfig(
      `events:
  - id: "1001"
    schedule: { opensAt: "2026-11-27T00:00:00Z" }
    admission: { dispatchPerSecond: 100 }
    coupon:
      stock: 10
      validity: { validForHours: 1 }
      discount: { type: fixed, amount: 1000, currency: KRW }
`,
      'events.yaml',
    );
    expect(config.events[0]).toMatchObject({ id: '1001', tenant: 'default', generation: 1 });
  });

  it('treats an empty file, or one of only comments, as no events', () => {
    expect(parseEventsConfig('', 'events.yaml').events).toEqual([]);
    expect(parseEventsConfig('# nothing on sale yet\n', 'events.yaml').events).toEqual([]);
  });

  it('refuses two events with one id, since shoppers address events by id alone', () => {
    const e = eventConfigFromCouponEvent(couponEvent());
    const text = renderEventsConfig([e]).replace('events:\n', `events:\n`);
    const doubled = text + text.split('events:\n')[1]!.replace('tenant: shop-a', 'tenant: shop-b');
    expect(() => parseEventsConfig(doubled, 'events.yaml')).toThrow(
      'events.yaml is invalid: events[1].id: "black-friday" is already used by events[0]',
    );
  });

  it('names the file and the line when the YAML itself is broken', () => {
    try {
      parseEventsConfig('events: [\n  - id: x\n', '/etc/rediclaim/events.yaml');
      throw new Error('expected an error');
    } catch (error) {
      expect(error).toBeInstanceOf(RediclaimError);
      expect((error as RediclaimError).code).toBe('INVALID_CONFIG');
      expect((error as Error).message).toMatch(
        /^\/etc\/rediclaim\/events\.yaml is not valid YAML: .*\(2:3\)/,
      );
    }
  });

  it('names the path of each problem in a config file', () => {
    expect(() =>
      parseEventsConfig('events:\n  - id: "1001"\n    tenant: Shop_A\n', 'events.yaml'),
    ).toThrow(
      /events\[0\]\.tenant: must be a Kubernetes namespace name.*events\[0\]\.schedule: is required/,
    );
  });
});
