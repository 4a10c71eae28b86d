// The saga reference end to end: a sale through the whole platform, then the shop's
// order flow (hack/src/saga) redeeming the winners' coupons through the issuer's
// redemption API, its payment step failing for some orders, compensated by releasing
// the coupon: every step after the reservation driven by the outbox's lifecycle events.
import { setTimeout } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startE2E, stackEnv, type E2E } from '@rediclaim/hack/testing';
import { runCrowd } from '../../src/crowd/crowd.js';
import {
  OrderSaga,
  RedemptionClient,
  type OrderOutcome,
  type SagaRedemptionApi,
} from '../../src/saga/index.js';
import { couponEventStatus, gateKnows, saleSpec, waitFor } from '../support/e2e.js';

let e2e: E2E;

/**
 * Half the orders hear the API's answer to each step late, after its lifecycle event has
 * come in (the relay is faster than a slow network back to the shop): the saga must
 * move on from the event alone and not act on the late answer.
 */
function lateAnswers(real: RedemptionClient): SagaRedemptionApi {
  const late = async <T>(orderId: string, answer: T): Promise<T> => {
    if (Number(orderId.split('-').at(-1)) % 4 < 2) await setTimeout(1_500);
    return answer;
  };
  return {
    redeem: async (request, key) => late(request.orderId, await real.redeem(request, key)),
    release: async (id, reason) => {
      const answer = await real.release(id, reason);
      return late(answer.orderId, answer);
    },
    coupon: (code) => real.coupon(code),
  };
}

beforeAll(async () => {
  e2e = await startE2E('e2e-saga', ['shop']);
}, 120_000);

afterAll(async () => {
  await e2e?.stop();
});

describe('an order saga on issued coupons', () => {
  it('reserves, pays or compensates, and leaves every coupon as its order says', async () => {
    const eventId = `${e2e.id}-sale`;
    const tenant = e2e.tenants.shop!;
    await e2e.apply('shop', 'sale', saleSpec({ eventId, stock: 20, rate: 200 }));
    await gateKnows(e2e.platform.gateUrls[0]!, eventId);
    const report = await runCrowd({
      gateUrls: e2e.platform.gateUrls,
      eventId,
      users: 20,
      arrivalSeconds: 0.5,
      userIdPrefix: 'buyer-',
    });
    expect(report.outcomes).toEqual({ ISSUED: 20 });

    const client = new RedemptionClient(
      e2e.platform.redemptionUrls()[0]!,
      e2e.platform.redemptionToken,
      tenant,
    );
    const saga = new OrderSaga({
      client: lateAnswers(client),
      brokers: stackEnv().kafkaBrokers,
      topic: `${e2e.id}.coupons`,
      groupId: `${e2e.id}-saga`,
      fromBeginning: true,
      // Long enough that only the events drive the steps here.
      reconcileAfterMs: 60_000,
      payments: { charge: async (order) => Number(order.orderId.split('-').at(-1)) % 2 === 0 },
    });
    await saga.start();
    let outcomes: OrderOutcome[];
    try {
      outcomes = await Promise.all(
        report.shoppers.map((s, i) =>
          saga.place({
            orderId: `order-${i}`,
            userId: s.userId,
            couponCode: s.couponCode!,
            amount: 20_000,
          }),
        ),
      );
    } finally {
      await saga.stop();
    }
    const states = outcomes.map((o) => o.state);
    expect(states.filter((s) => s === 'COMPLETED')).toHaveLength(10);
    expect(states.filter((s) => s === 'COMPENSATED')).toHaveLength(10);
    expect(outcomes.every((o) => o.triggers.every((t) => t === 'event'))).toBe(true);
    expect(outcomes.every((o) => o.discountAmount === 2_000)).toBe(true);

    for (const o of outcomes) {
      const coupon = await client.coupon(o.order.couponCode);
      const events = saga.events
        .filter((e) => e.type !== 'CouponIssued' && e.redemption.orderId === o.order.orderId)
        .map((e) => e.type);
      if (o.state === 'COMPLETED') {
        expect(coupon).toMatchObject({ state: 'REDEEMED', redemption: { id: o.redemptionId } });
        expect(events).toEqual(['CouponRedeemed']);
      } else {
        expect(coupon.state).toBe('AVAILABLE');
        expect(coupon.history.map((h) => h.action)).toEqual(['REDEEMED', 'RELEASED']);
        expect(events).toEqual(['CouponRedeemed', 'CouponReleased']);
      }
    }

    // The gate follows the same events: each shopper sees whether their coupon was used,
    // and the CouponEvent counts the coupons redeemed.
    const gate = e2e.platform.gateUrls[0]!;
    for (const o of outcomes) {
      const expected = o.state === 'COMPLETED' ? 'REDEEMED' : 'AVAILABLE';
      await waitFor(`${o.order.userId} sees ${expected}`, async () => {
        const res = await fetch(
          `${gate}/v1/events/${eventId}/queue/me?userId=${encodeURIComponent(o.order.userId)}`,
        );
        const body = (await res.json()) as { redemption?: { state: string } };
        return body.redemption?.state === expected ? true : undefined;
      });
    }
    await waitFor('CouponEvent counts 10 redeemed', async () => {
      const status = await couponEventStatus(e2e, 'shop', 'sale');
      return status?.counts?.redeemed === 10 ? true : undefined;
    });

    // A released coupon is the shopper's again: the next order can use it.
    const released = outcomes.find((o) => o.state === 'COMPENSATED')!;
    const again = await client.redeem(
      {
        code: released.order.couponCode,
        userId: released.order.userId,
        orderId: 'order-retry',
        orderAmount: 20_000,
      },
      'order:order-retry:reserve',
    );
    expect(again.redemption.state).toBe('REDEEMED');
    // And one that is held refuses any other order.
    const held = outcomes.find((o) => o.state === 'COMPLETED')!;
    await expect(
      client.redeem(
        {
          code: held.order.couponCode,
          userId: held.order.userId,
          orderId: 'order-x',
          orderAmount: 1,
        },
        'order:order-x:reserve',
      ),
    ).rejects.toMatchObject({ status: 409, code: 'COUPON_ALREADY_REDEEMED' });
  }, 120_000);
});
