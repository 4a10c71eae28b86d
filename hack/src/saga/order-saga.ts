import { Kafka, logLevel, type Consumer } from 'kafkajs';
import {
  couponLifecycleEventSchema,
  parseRecord,
  type CouponLifecycleEvent,
} from '@rediclaim/core';
import { RedemptionApiError, type RedemptionClient } from './redemption-client.js';

/**
 * A reference saga joining rediclaim to a shop's order flow: reserve the coupon (redeem
 * it for the order), charge the payment, and when the payment fails compensate by
 * releasing the redemption, which gives the coupon back. Each step after the first is
 * driven by the coupon's lifecycle events from the issuer's outbox (CouponRedeemed
 * starts the payment, CouponReleased ends the compensation), the way a payment or points
 * service would follow them; the redemption API's idempotency makes every step safe to
 * retry. Events arrive at least once: they are deduplicated by id.
 *
 * If an event is late (the consumer joined after it, the relay is down), a step is
 * reconciled from the API after `reconcileAfterMs`: a saga must not hang on one
 * missing message.
 */

export interface Order {
  orderId: string;
  userId: string;
  couponCode: string;
  /** Minor units. */
  amount: number;
}

export type OrderState =
  'RESERVING' | 'PAYING' | 'COMPLETED' | 'COMPENSATING' | 'COMPENSATED' | 'REJECTED';

export interface OrderOutcome {
  order: Order;
  state: 'COMPLETED' | 'COMPENSATED' | 'REJECTED';
  redemptionId?: string;
  discountAmount?: number;
  /** For REJECTED: the redemption API's code (COUPON_ALREADY_REDEEMED, COUPON_EXPIRED, ...). */
  reason?: string;
  /** How each step after the reservation was triggered. */
  triggers: ('event' | 'reconciled')[];
}

/** The shop's payment step; false means declined (and the order is compensated). */
export interface PaymentService {
  charge(order: Order, discountAmount: number): Promise<boolean>;
}

/** The part of the redemption API a saga calls. */
export type SagaRedemptionApi = Pick<RedemptionClient, 'redeem' | 'release' | 'coupon'>;

export interface OrderSagaOptions {
  client: SagaRedemptionApi;
  brokers: string[];
  /** The issuer's coupons topic (TOPIC_COUPONS). */
  topic: string;
  groupId: string;
  payments: PaymentService;
  /** Read the topic from its start (a fresh topic, tests) or from now. */
  fromBeginning?: boolean;
  reconcileAfterMs?: number;
}

interface Pending {
  order: Order;
  state: OrderState;
  redemptionId?: string;
  discountAmount?: number;
  triggers: ('event' | 'reconciled')[];
  timer?: NodeJS.Timeout;
  done(outcome: OrderOutcome): void;
}

export class OrderSaga {
  private readonly consumer: Consumer;
  private readonly pending = new Map<string, Pending>();
  private readonly seen = new Set<string>();
  /** Lifecycle events of this saga's orders, in arrival order (duplicates dropped). */
  readonly events: CouponLifecycleEvent[] = [];

  constructor(private readonly options: OrderSagaOptions) {
    this.consumer = new Kafka({
      clientId: `order-saga-${process.pid}`,
      brokers: options.brokers,
      logLevel: logLevel.NOTHING,
    }).consumer({ groupId: options.groupId, maxWaitTimeInMs: 100 });
  }

  /** Joins the topic; resolves once the consumer has its partitions. */
  async start(): Promise<void> {
    const joined = new Promise<void>((resolve) =>
      this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve()),
    );
    await this.consumer.connect();
    await this.consumer.subscribe({
      topic: this.options.topic,
      fromBeginning: this.options.fromBeginning ?? false,
    });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        let event: CouponLifecycleEvent;
        try {
          event = couponLifecycleEventSchema.parse(parseRecord(message.value, 'coupon event'));
        } catch {
          return; // not ours to judge: the issuer validated it; a newer version is skipped
        }
        if (this.seen.has(event.id)) return;
        this.seen.add(event.id);
        await this.onEvent(event);
      },
    });
    await joined;
  }

  async stop(): Promise<void> {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    await this.consumer.disconnect();
  }

  /** Runs one order through the saga; resolves in a final state. */
  place(order: Order): Promise<OrderOutcome> {
    return new Promise((resolve) => {
      const p: Pending = { order, state: 'RESERVING', triggers: [], done: resolve };
      this.pending.set(order.orderId, p);
      void this.reserve(p);
    });
  }

  private async reserve(p: Pending): Promise<void> {
    try {
      const { redemption } = await retrying(() =>
        this.options.client.redeem(
          {
            code: p.order.couponCode,
            userId: p.order.userId,
            orderId: p.order.orderId,
            orderAmount: p.order.amount,
          },
          // One key per order step: a retry of the step is the same redemption.
          `order:${p.order.orderId}:reserve`,
        ),
      );
      p.redemptionId = redemption.id;
      p.discountAmount = redemption.discountAmount;
      // The CouponRedeemed event may have overtaken this answer and moved the order on.
      if (p.state === 'RESERVING') this.arm(p);
    } catch (error) {
      this.finish(p, 'REJECTED', error instanceof RedemptionApiError ? error.code : String(error));
    }
  }

  private async onEvent(event: CouponLifecycleEvent): Promise<void> {
    const orderId = event.type === 'CouponIssued' ? undefined : event.redemption.orderId;
    const p = orderId ? this.pending.get(orderId) : undefined;
    if (!p) return;
    this.events.push(event);
    if (event.type === 'CouponRedeemed' && p.state === 'RESERVING') {
      // The event can arrive before the API's answer to the reservation: it carries the
      // same redemption, so the order need not wait for the answer.
      p.redemptionId = event.redemption.id;
      p.discountAmount = event.redemption.discountAmount;
      await this.pay(p, 'event');
    } else if (event.type === 'CouponReleased' && p.state === 'COMPENSATING') {
      p.triggers.push('event');
      this.finish(p, 'COMPENSATED');
    }
  }

  private async pay(p: Pending, trigger: 'event' | 'reconciled'): Promise<void> {
    clearTimeout(p.timer);
    p.triggers.push(trigger);
    p.state = 'PAYING';
    const charged = await this.options.payments.charge(p.order, p.discountAmount ?? 0);
    if (charged) {
      this.finish(p, 'COMPLETED');
      return;
    }
    // Compensation: give the coupon back. Releasing is idempotent, so a retry is harmless.
    p.state = 'COMPENSATING';
    await retrying(() => this.options.client.release(p.redemptionId!, 'payment declined'));
    // The CouponReleased event may already have finished the order.
    if (p.state === 'COMPENSATING') this.arm(p);
  }

  /** Reconciles from the API if the step's event has not come in time. */
  private arm(p: Pending): void {
    clearTimeout(p.timer);
    p.timer = setTimeout(() => void this.reconcile(p), this.options.reconcileAfterMs ?? 15_000);
  }

  private async reconcile(p: Pending): Promise<void> {
    const coupon = await retrying(() => this.options.client.coupon(p.order.couponCode));
    const held = coupon.redemption?.id === p.redemptionId;
    if (p.state === 'RESERVING' && held) await this.pay(p, 'reconciled');
    else if (p.state === 'COMPENSATING' && !held) {
      p.triggers.push('reconciled');
      this.finish(p, 'COMPENSATED');
    } else this.arm(p);
  }

  private finish(p: Pending, state: OrderOutcome['state'], reason?: string): void {
    clearTimeout(p.timer);
    p.state = state;
    this.pending.delete(p.order.orderId);
    p.done({
      order: p.order,
      state,
      triggers: p.triggers,
      ...(p.redemptionId ? { redemptionId: p.redemptionId } : {}),
      ...(p.discountAmount !== undefined ? { discountAmount: p.discountAmount } : {}),
      ...(reason ? { reason } : {}),
    });
  }
}

/** Retries what failed for a transient reason (503, network), a few times with backoff. */
async function retrying<T>(step: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      const transient = error instanceof RedemptionApiError && error.transient;
      if (!transient || attempt >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}
