import type { EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import {
  couponLifecycleEventSchema,
  couponLifecycleVersions,
  deadLetterOf,
  decodeMessage,
  eventKeys,
  type CouponLifecycleEvent,
  type DeadLetter,
  type EventKeys,
} from '@rediclaim/core';
import type { EventsStore } from '../config/events-store.js';
import type { GateMetrics } from '../metrics.js';
import { redemptionField, redemptionStateOf } from '../queue/redemptions.js';
import type { ApplyCouponEventArgs, GateScripts } from '../redis/gate-scripts.js';
import { sendDeadLetters } from './dead-letters.js';
import { GroupConsumer, type GroupConsumerOptions } from './group-consumer.js';

export interface CouponsConsumerOptions extends GroupConsumerOptions {
  deadLetterTopic: string;
  /** How long states of events not in the config are kept. */
  defaultRetentionSeconds: number;
}

/**
 * Follows the issuer's coupon lifecycle events (the coupons topic, from its outbox) so
 * shoppers see whether their coupon was used: CouponRedeemed and CouponReleased set the
 * coupon's redemption state in Redis (applyCouponEvent.lua), CouponIssued is read and
 * passed over (the issue results already told the gate). One group for the whole fleet
 * (GATE_COUPONS_GROUP_ID): each event is applied by one replica, into the Redis every
 * replica reads.
 *
 * Delivery is at least once and applying is idempotent and order-safe (each coupon
 * keeps the highest sequence applied), so a redelivered batch, a duplicate or an older
 * event republished after a newer one changes nothing. A record that cannot be read (not
 * JSON, not a lifecycle event, a newer version) goes to the dead-letter topic with its
 * reason, and the records after it are applied: it never stops the partition.
 */
export class CouponsConsumer extends GroupConsumer {
  constructor(
    private readonly deps: {
      kafka: Kafka;
      producer: Producer;
      scripts: GateScripts;
      events: EventsStore;
      logger: Logger;
      metrics: GateMetrics;
    },
    private readonly options: CouponsConsumerOptions,
  ) {
    super(
      {
        kafka: deps.kafka,
        logger: deps.logger,
        name: 'coupons consumer',
        waiting: "coupons' redemptions",
        onJoined: (joined) => deps.metrics.couponsConsumerUp.set(joined ? 1 : 0),
      },
      options,
    );
  }

  protected async handleBatch({
    batch,
    resolveOffset,
    heartbeat,
  }: EachBatchPayload): Promise<void> {
    const events: CouponLifecycleEvent[] = [];
    const dead: DeadLetter[] = [];
    const now = new Date();
    for (const message of batch.messages) {
      try {
        events.push(
          decodeMessage(
            couponLifecycleEventSchema,
            message.value,
            `coupon event ${batch.topic}/${batch.partition}@${message.offset}`,
            couponLifecycleVersions,
          ),
        );
      } catch (error) {
        const source = {
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          key: message.key,
        };
        dead.push(deadLetterOf(error, source, message.value, 'gate', now));
      }
    }
    if (dead.length > 0) await this.sendDeadLetters(dead);
    // A Redis failure fails the batch: kafkajs redelivers it, applying is idempotent.
    if (events.length > 0) await this.apply(events);
    for (const message of batch.messages) resolveOffset(message.offset);
    await heartbeat();
  }

  private async sendDeadLetters(dead: readonly DeadLetter[]): Promise<void> {
    const { producer, metrics, logger } = this.deps;
    await sendDeadLetters(producer, this.options.deadLetterTopic, dead, logger, 'coupon event');
    metrics.couponEventsInvalid.inc(dead.length);
  }

  private async apply(events: readonly CouponLifecycleEvent[]): Promise<void> {
    const { scripts, metrics } = this.deps;
    const calls: { keys: EventKeys; args: ApplyCouponEventArgs }[] = [];
    const applied: CouponLifecycleEvent[] = [];
    for (const event of events) {
      const call = this.callOf(event);
      if (call) {
        calls.push(call);
        applied.push(event);
      } else {
        metrics.couponEvents.inc({ type: event.type, result: 'ignored' });
      }
    }
    if (calls.length === 0) return;
    const replies = await scripts.applyCouponEvents(calls);
    const now = Date.now();
    replies.forEach((reply, i) => {
      const event = applied[i]!;
      metrics.couponEvents.inc({ type: event.type, result: reply });
      if (reply !== 'duplicate')
        metrics.couponEventLag.observe(Math.max(0, now - Date.parse(event.occurredAt)) / 1000);
    });
  }

  /** Where and how one event is applied; undefined for one with nothing to apply. */
  private callOf(
    event: CouponLifecycleEvent,
  ): { keys: EventKeys; args: ApplyCouponEventArgs } | undefined {
    const state = redemptionStateOf(event);
    if (!state) return undefined;
    const live = this.deps.events.get(event.eventId);
    const known = live !== undefined && live.tenant === event.tenant;
    return {
      keys: known ? live.keys : eventKeys(event.tenant, event.eventId),
      args: {
        field: redemptionField(event.coupon.code, event.coupon.serial),
        userId: event.coupon.userId,
        sequence: event.sequence,
        state,
        at: event.occurredAt,
        // The event's own sale when it names one: a retired sale's coupons are not counted.
        uid: event.uid ?? (known ? live.uid : ''),
        retentionSeconds: known ? live.retentionSeconds : this.options.defaultRetentionSeconds,
      },
    };
  }
}
