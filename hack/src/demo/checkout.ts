import { DEFAULT_COUPONS_TOPIC } from '@rediclaim/core';
import type { CrowdReport } from '../crowd/crowd.js';
import type { LocalPlatform } from '../platform/local-platform.js';
import { OrderSaga, type OrderOutcome } from '../saga/order-saga.js';
import { RedemptionClient } from '../saga/redemption-client.js';
import type { InvariantCheck } from './invariants.js';

/**
 * After the sale, the shop's checkout: some winners order with their coupon through the
 * reference saga (hack/src/saga), every third payment is declined and compensated by
 * releasing the coupon. Checked against the redemption API afterwards: a completed
 * order's coupon is REDEEMED by it, a compensated one is AVAILABLE again.
 */
export async function runCheckout(
  platform: LocalPlatform,
  report: CrowdReport,
  options: { orders: number; brokers: string[]; topic?: string },
): Promise<{ outcomes: OrderOutcome[]; checks: InvariantCheck[]; seconds: number }> {
  const client = new RedemptionClient(
    platform.redemptionUrls()[0]!,
    platform.redemptionToken,
    platform.namespace,
  );
  const winners = report.shoppers.filter((s) => s.couponCode).slice(0, options.orders);
  const saga = new OrderSaga({
    client,
    brokers: options.brokers,
    topic: options.topic ?? DEFAULT_COUPONS_TOPIC,
    groupId: `demo-checkout-${process.pid}-${Date.now()}`,
    payments: { charge: async (order) => Number(order.orderId.split('-').at(-1)) % 3 !== 2 },
  });
  const started = Date.now();
  await saga.start();
  let outcomes: OrderOutcome[];
  try {
    outcomes = await Promise.all(
      winners.map((w, i) =>
        saga.place({
          orderId: `order-${w.userId}-${i}`,
          userId: w.userId,
          couponCode: w.couponCode!,
          amount: 30_000,
        }),
      ),
    );
  } finally {
    await saga.stop();
  }
  const seconds = (Date.now() - started) / 1000;
  const wrong: string[] = [];
  for (const o of outcomes) {
    const coupon = await client.coupon(o.order.couponCode);
    if (o.state === 'COMPLETED' && coupon.redemption?.orderId !== o.order.orderId) {
      wrong.push(`${o.order.orderId} completed but its coupon is ${coupon.state}`);
    }
    if (o.state === 'COMPENSATED' && coupon.state !== 'AVAILABLE') {
      wrong.push(`${o.order.orderId} compensated but its coupon is ${coupon.state}`);
    }
    if (o.state === 'REJECTED') wrong.push(`${o.order.orderId} rejected: ${o.reason}`);
  }
  const byEvents = outcomes.every((o) => o.triggers.every((t) => t === 'event'));
  return {
    outcomes,
    seconds,
    checks: [
      {
        ok: wrong.length === 0,
        name: 'checkout: every order ended as the saga says',
        detail:
          wrong.length === 0
            ? 'completed orders hold their coupon; declined payments gave theirs back'
            : wrong.slice(0, 3).join('; '),
      },
      {
        ok: true,
        name: 'checkout: steps driven by the outbox events',
        detail: byEvents
          ? 'every step followed a CouponRedeemed / CouponReleased event'
          : 'some steps were reconciled from the API (an event came late)',
      },
    ],
  };
}
