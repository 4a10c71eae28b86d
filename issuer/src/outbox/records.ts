import type { Message } from 'kafkajs';
import { encodeMessage, type CouponLifecycleEvent } from '@rediclaim/core';

/**
 * The Kafka records of lifecycle events: one record per event on the coupons topic,
 * keyed by the coupon (so a coupon's history stays in one partition, in order), with
 * the event's id, type and version in headers (a consumer can skip or deduplicate
 * without parsing the value), and the whole event, `sequence` included, as JSON.
 */
export const EVENT_ID_HEADER = 'rediclaim-event-id';
export const EVENT_TYPE_HEADER = 'rediclaim-event-type';
export const EVENT_VERSION_HEADER = 'rediclaim-event-version';

/**
 * Records per send at most, and bytes: a send's records may all fall in one partition,
 * whose record batch must stay under the broker's message.max.bytes (1 MiB by default).
 * Each send is encoded at once, the event loop hearing nothing else meanwhile (the
 * deciding transactions' database answers included, kafka/publisher.ts): a few hundred
 * records keep that to milliseconds.
 */
export const MAX_RECORDS_PER_SEND = 500;
export const MAX_BYTES_PER_SEND = 512 * 1024;

export function recordOf(event: CouponLifecycleEvent): Message {
  return {
    key: event.coupon.id,
    value: encodeMessage(event),
    headers: {
      [EVENT_ID_HEADER]: event.id,
      [EVENT_TYPE_HEADER]: event.type,
      [EVENT_VERSION_HEADER]: String(event.version),
    },
  };
}

/**
 * The events' records in order, cut into sends bounded by count and bytes; each send
 * is encoded only when asked for, so a large group is never encoded all at once.
 */
export function* sendsOf(
  events: readonly CouponLifecycleEvent[],
  limits = { records: MAX_RECORDS_PER_SEND, bytes: MAX_BYTES_PER_SEND },
): Generator<{ messages: Message[]; events: CouponLifecycleEvent[] }> {
  let current: Message[] = [];
  let first = 0;
  let bytes = 0;
  for (let i = 0; i < events.length; i++) {
    const record = recordOf(events[i]!);
    // Key, headers and the record's framing are a few hundred bytes at most.
    const size = (record.value as Buffer).length + 256;
    if (current.length > 0 && (current.length >= limits.records || bytes + size > limits.bytes)) {
      yield { messages: current, events: events.slice(first, i) };
      current = [];
      first = i;
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) yield { messages: current, events: events.slice(first) };
}
