import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import type { Consumer, Producer } from 'kafkajs';
import {
  couponIdOf,
  couponRedeemedSchema,
  couponReleasedSchema,
  couponIssuedSchema,
  encodeIssueResultV1,
  eventKeys,
  lifecycleEventIdOf,
  redemptionIdOf,
  requestIdOf,
  type CouponLifecycleEvent,
  type DeadLetter,
  type IssueResult,
} from '@rediclaim/core';
import {
  createTestTopics,
  testKafka,
  testRedis,
  uniqueName,
  waitFor,
} from '@rediclaim/hack/testing';
import { SuiteEvents } from './support/suite-events.js';
import {
  gateEnv,
  signedAsIssuer,
  startGate,
  suiteTopics,
  type InProcessGate,
  type Topics,
} from './support/harness.js';
import { shopperApi } from './support/shoppers.js';

/**
 * The gate following the issuer's coupon lifecycle events, against the real Redis and
 * Kafka of the test stack: events built with core's schemas go to a coupons topic of
 * the suite's own (3 partitions, keyed by coupon as the issuer's outbox keys them), and
 * the redemption state shows in the shopper's status and the event's redeemed count,
 * whatever duplicates or republished older events come; a record that cannot be read is
 * dead-lettered and the records after it are still applied.
 */
const TENANT = 'coupons';
const SALE_ROW = 41;
const ids = {
  shown: uniqueName('shown'),
  dupes: uniqueName('dupes'),
  count: uniqueName('count'),
  poison: uniqueName('poison'),
};

let topics: Topics & { coupons: string };
let g: InProcessGate;
let redis: Redis;
let producer: Producer;
let letters: Consumer;
const deadLetters: DeadLetter[] = [];
const events = new SuiteEvents(TENANT);
const shopper = shopperApi(() => g.http);
const { me, untilStatus } = shopper;

/** A shopper of a paused event issued a coupon (serial `serial`, code `<USER>-<serial>`). */
async function issue(ev: string, userId: string, serial: number): Promise<void> {
  expect((await shopper.join(ev, userId)).statusCode).toBe(201);
  const ticket = Number(await redis.zscore(eventKeys(TENANT, ev).queue, userId));
  const now = new Date().toISOString();
  const result: IssueResult = {
    type: 'IssueResult',
    version: 1,
    requestId: requestIdOf(TENANT, ev, userId, ticket),
    tenant: TENANT,
    eventId: ev,
    userId,
    ticket,
    outcome: 'ISSUED',
    coupon: {
      code: codeOf(userId, serial),
      serial,
      discount: { type: 'percent', percent: 10 },
      validFrom: now,
      validUntil: now,
      issuedAt: now,
    },
    remaining: 900,
    stock: 1000,
    decidedAt: now,
  };
  await producer.send({
    topic: topics.results,
    acks: -1,
    messages: signedAsIssuer([encodeIssueResultV1(result)]),
  });
  await untilStatus(ev, userId, 'ISSUED');
}

const codeOf = (userId: string, serial: number) => `${userId.toUpperCase()}-${serial}`;
const at = (sequence: number) => new Date(Date.UTC(2026, 10, 27, 2, 0, sequence)).toISOString();

/**
 * One lifecycle event of a coupon, as the issuer's outbox publishes it: a redemption
 * `n` (its own id: redeemed and released share it), at a sequence of the coupon's history.
 */
function lifecycle(
  type: CouponLifecycleEvent['type'],
  ev: string,
  userId: string,
  serial: number,
  o: { sequence: number; redemption?: number },
): CouponLifecycleEvent {
  const couponId = couponIdOf(SALE_ROW, serial);
  const envelope = {
    type,
    version: 1,
    sequence: o.sequence,
    occurredAt: at(o.sequence),
    tenant: TENANT,
    eventId: ev,
    coupon: { id: couponId, code: codeOf(userId, serial), serial, userId },
  };
  if (type === 'CouponIssued')
    return couponIssuedSchema.parse({
      ...envelope,
      id: lifecycleEventIdOf(type, couponId),
      requestId: 'r-1',
      ticket: 1,
      discount: { type: 'percent', percent: 10 },
      validFrom: at(0),
      validUntil: at(0),
    });
  const redemptionId = redemptionIdOf(o.redemption ?? serial);
  const redemption = {
    id: redemptionId,
    orderId: `order-${redemptionId}`,
    orderAmount: 30_000,
    discountAmount: 3_000,
    currency: 'KRW',
  };
  const id = lifecycleEventIdOf(type, redemptionId);
  return type === 'CouponRedeemed'
    ? couponRedeemedSchema.parse({ ...envelope, id, redemption })
    : couponReleasedSchema.parse({ ...envelope, id, redemption, reason: 'order cancelled' });
}

/** Published as the outbox does: keyed by the coupon, so one partition holds its history. */
async function publish(...records: (CouponLifecycleEvent | { key: string; value: string })[]) {
  await producer.send({
    topic: topics.coupons,
    acks: -1,
    messages: records.map((r) => ('key' in r ? r : { key: r.coupon.id, value: JSON.stringify(r) })),
  });
}

/** Lifecycle events the gate counted with this result so far. */
async function counted(result: string, type?: string): Promise<number> {
  const { values } = await g.gate.metrics.couponEvents.get();
  return values
    .filter((v) => v.labels.result === result && (!type || v.labels.type === type))
    .reduce((n, v) => n + v.value, 0);
}

const redeemedOf = async (ev: string): Promise<number> =>
  (await g.admin({ url: `/internal/v1/events/${TENANT}/${ev}/stats` })).json().redeemed;

const untilState = (ev: string, userId: string, state: string) =>
  waitFor(`${userId}'s coupon to be ${state}`, async () => {
    const view = await me(ev, userId);
    return view.redemption?.state === state ? view : undefined;
  });

beforeAll(async () => {
  topics = { ...(await suiteTopics('coupons')), coupons: uniqueName('coupons-cpn') };
  await createTestTopics([{ topic: topics.coupons, numPartitions: 3 }]);
  for (const id of Object.values(ids)) events.define(id, { mode: 'paused' });
  const kafka = testKafka('coupons');
  producer = kafka.producer();
  await producer.connect();
  letters = kafka.consumer({ groupId: uniqueName('coupons-dl') });
  await letters.connect();
  await letters.subscribe({ topic: topics.deadLetters, fromBeginning: true });
  await letters.run({
    eachMessage: async ({ message }) =>
      void deadLetters.push(JSON.parse(message.value!.toString())),
  });
  g = await startGate(gateEnv(topics, { EVENTS_FILE: events.path() }));
  redis = testRedis();
});

afterAll(async () => {
  await g?.stop();
  await letters?.disconnect();
  await producer?.disconnect();
  await redis?.quit();
  await events.remove();
});

describe("a coupon's redemption state", () => {
  it('shows a coupon AVAILABLE, then used, in the v1 status, the seed rank and the admin stats', async () => {
    const ev = ids.shown;
    await issue(ev, 'ann', 1);
    expect((await me(ev, 'ann')).redemption).toEqual({ state: 'AVAILABLE' });
    // The gate already knows issued coupons: CouponIssued changes nothing.
    await publish(lifecycle('CouponIssued', ev, 'ann', 1, { sequence: 1 }));
    await waitFor('CouponIssued to be read', async () => (await counted('ignored')) >= 1);
    expect((await me(ev, 'ann')).redemption).toEqual({ state: 'AVAILABLE' });

    await publish(lifecycle('CouponRedeemed', ev, 'ann', 1, { sequence: 2 }));
    const used = await untilState(ev, 'ann', 'REDEEMED');
    expect(used).toMatchObject({
      status: 'ISSUED',
      coupon: { code: 'ANN-1' },
      redemption: { state: 'REDEEMED', since: at(2) },
    });
    // Only the state and its time: nothing of the shop's order.
    expect(JSON.stringify(used)).not.toContain('order-');
    const rank = await g.http({ url: `/gate/events/${ev}/rank?userId=ann` });
    expect(rank.json()).toEqual({
      status: 'ISSUED',
      rank: null,
      couponCode: 'ANN-1',
      couponState: 'REDEEMED',
      couponStateSince: at(2),
    });
    expect(await redeemedOf(ev)).toBe(1);
    // The OpenAPI document describes it.
    const doc = (await g.http({ url: '/openapi.json' })).json();
    expect(JSON.stringify(doc)).toContain('"REDEEMED"');
  });

  it('ignores duplicates and an older event republished after a newer one', async () => {
    const ev = ids.dupes;
    await issue(ev, 'bob', 1);
    const redeemed = lifecycle('CouponRedeemed', ev, 'bob', 1, { sequence: 2 });
    const released = lifecycle('CouponReleased', ev, 'bob', 1, { sequence: 3 });
    const before = await counted('duplicate');
    await publish(redeemed, redeemed, released);
    await waitFor('the release', async () => (await me(ev, 'bob')).redemption?.since === at(3));
    // The outbox republishes both after the release (a relay that crashed before its commit).
    await publish(redeemed, released);
    await waitFor('three duplicates', async () => (await counted('duplicate')) - before >= 3);
    expect((await me(ev, 'bob')).redemption).toEqual({ state: 'AVAILABLE', since: at(3) });
    expect(await redeemedOf(ev)).toBe(0);
  });

  it('counts a coupon redeemed, released and redeemed again once, beside the others', async () => {
    const ev = ids.count;
    await issue(ev, 'cat', 1);
    await issue(ev, 'dan', 2);
    await publish(
      lifecycle('CouponRedeemed', ev, 'cat', 1, { sequence: 2, redemption: 11 }),
      lifecycle('CouponReleased', ev, 'cat', 1, { sequence: 3, redemption: 11 }),
      lifecycle('CouponRedeemed', ev, 'cat', 1, { sequence: 4, redemption: 12 }),
      lifecycle('CouponRedeemed', ev, 'dan', 2, { sequence: 5, redemption: 13 }),
    );
    await waitFor('both coupons redeemed', async () => (await redeemedOf(ev)) === 2);
    expect((await me(ev, 'cat')).redemption).toEqual({ state: 'REDEEMED', since: at(4) });
    expect((await me(ev, 'dan')).redemption).toEqual({ state: 'REDEEMED', since: at(5) });
    await publish(lifecycle('CouponReleased', ev, 'dan', 2, { sequence: 6, redemption: 13 }));
    await waitFor('one coupon redeemed', async () => (await redeemedOf(ev)) === 1);
    expect((await me(ev, 'dan')).redemption).toEqual({ state: 'AVAILABLE', since: at(6) });
  });
});

describe('records that cannot be read', () => {
  it('dead-letters each with its reason and applies the records after it on the same partition', async () => {
    const ev = ids.poison;
    await issue(ev, 'eve', 1);
    const next = lifecycle('CouponRedeemed', ev, 'eve', 1, { sequence: 2 });
    const key = next.coupon.id;
    const before = deadLetters.length;
    await publish(
      { key, value: 'not json' },
      { key, value: JSON.stringify({ ...next, coupon: { ...next.coupon, id: 'nope' } }) },
      { key, value: JSON.stringify({ ...next, version: 2 }) },
      next,
    );
    await untilState(ev, 'eve', 'REDEEMED');
    const ours = await waitFor('three dead letters', () => {
      const mine = deadLetters.slice(before).filter((d) => d.source.key === key);
      return mine.length >= 3 ? mine : undefined;
    });
    expect(ours.map((d) => d.reason.code)).toEqual([
      'INVALID_MESSAGE',
      'INVALID_MESSAGE',
      'UNSUPPORTED_MESSAGE_VERSION',
    ]);
    expect(ours[0]).toMatchObject({
      service: 'gate',
      payload: 'not json',
      source: { topic: topics.coupons, key },
    });
    expect(ours[1]!.reason.message).toContain('coupon.id');
    expect(await redeemedOf(ev)).toBe(1);
    const { values } = await g.gate.metrics.couponEventsInvalid.get();
    expect(values[0]?.value).toBe(3);
  });
});
