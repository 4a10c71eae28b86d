import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { couponLifecycleEventSchema, type IssuePolicy, type IssueResult } from '@rediclaim/core';
import { createLogger } from '@rediclaim/issuer';
import {
  ApiKeys,
  Redemptions,
  apiKeysSchema,
  buildRedemptionApp,
  decideEvent,
  distinctRequests,
} from '@rediclaim/issuer';
import { uniqueName } from '@rediclaim/hack/testing';
import { migratedDatabase } from './support/database.js';
import { crowd, policy, SECRET } from './support/requests.js';

const TOKEN = 'shop-token-of-at-least-thirty-two-chars';
const OTHER_TOKEN = 'other-tenant-token-of-thirty-two-chars';
const tenant = 'shop';

// The redemption API over HTTP (fastify inject) against the test stack's MariaDB, on
// coupons issued by the real deciding transaction.
describe('redeeming coupons exactly once (MariaDB)', () => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let app: FastifyInstance;
  let clock: Date | undefined;

  beforeAll(async () => {
    env = await migratedDatabase(1, 'issuer_rdm');
    const redemptions = new Redemptions(env.sources[0]!, { now: () => clock ?? new Date() });
    app = await buildRedemptionApp({
      keys: new ApiKeys(apiKeysSchema.parse(`${tenant}=${TOKEN},other=${OTHER_TOKEN}`)),
      redemptions: () => redemptions,
      logger: createLogger('silent'),
    });
  });
  afterAll(async () => {
    await app.close();
    await env.close();
  });

  /** Issues `n` coupons of a new event; returns the codes by user (u0, u1, ...). */
  async function sale(n: number, overrides: Partial<IssuePolicy> = {}) {
    const eventId = uniqueName('rdm').toLowerCase();
    const requests = crowd(tenant, eventId, n, policy({ stock: n, ...overrides }));
    const decision = await decideEvent(
      env.sources[0]!,
      SECRET,
      { tenant, eventId, uid: '' },
      distinctRequests(requests),
    );
    const codes = new Map<string, string>();
    for (const result of decision.results.values() as Iterable<IssueResult>) {
      if (result.coupon) codes.set(result.userId, result.coupon.code);
    }
    return { eventId, codes };
  }

  const call = (
    method: 'GET' | 'POST',
    url: string,
    body?: object,
    headers: Record<string, string> = {},
    token = TOKEN,
  ) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}`, ...headers },
      ...(body ? { payload: body } : {}),
    });

  const redeem = (body: object, key: string, token = TOKEN) =>
    call('POST', `/v1/tenants/${tenant}/redemptions`, body, { 'idempotency-key': key }, token);

  async function outboxEvents() {
    const rows = (await env.sources[0]!.query(
      "SELECT id, payload FROM coupon_outbox WHERE kind = 'Event' ORDER BY id",
    )) as { id: number; payload: unknown }[];
    return rows.map((r) => {
      const payload = typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload;
      return couponLifecycleEventSchema.parse({ ...payload, sequence: Number(r.id) });
    });
  }

  it('validates a coupon for an order: the discount, or why not', async () => {
    const { codes } = await sale(2, {
      discount: {
        type: 'percent',
        percent: 10,
        maxAmount: 5_000,
        minOrderAmount: 10_000,
        currency: 'KRW',
      },
    });
    const code = codes.get('u0')!;
    const url = `/v1/tenants/${tenant}/coupons/${code}/validate`;
    const ok = await call('POST', url, { userId: 'u0', orderAmount: 30_000, currency: 'KRW' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      valid: true,
      discountAmount: 3_000,
      coupon: { code, state: 'AVAILABLE', userId: 'u0' },
    });
    const capped = await call('POST', url, { userId: 'u0', orderAmount: 900_000 });
    expect(capped.json()).toMatchObject({ valid: true, discountAmount: 5_000 });
    const small = await call('POST', url, { userId: 'u0', orderAmount: 9_999 });
    expect(small.json()).toMatchObject({
      valid: false,
      discountAmount: 0,
      reason: { code: 'ORDER_BELOW_MINIMUM' },
    });
    const usd = await call('POST', url, { userId: 'u0', orderAmount: 30_000, currency: 'USD' });
    expect(usd.json()).toMatchObject({ valid: false, reason: { code: 'CURRENCY_MISMATCH' } });
    const thief = await call('POST', url, { userId: 'u1', orderAmount: 30_000 });
    expect(thief.json()).toMatchObject({ valid: false, reason: { code: 'COUPON_NOT_OWNED' } });
    const unknown = await call('POST', `/v1/tenants/${tenant}/coupons/T-NOPE/validate`, {
      userId: 'u0',
      orderAmount: 1,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'COUPON_NOT_FOUND' });
    // Validation changes nothing.
    expect((await call('GET', `/v1/tenants/${tenant}/coupons/${code}`)).json()).toMatchObject({
      state: 'AVAILABLE',
      history: [],
    });
  });

  it('refuses callers without a token for the tenant, and bad input with VALIDATION_FAILED', async () => {
    const { codes } = await sale(1);
    const code = codes.get('u0')!;
    const body = { code, userId: 'u0', orderId: 'o-1', orderAmount: 1_000 };
    const none = await app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/redemptions`,
      payload: body,
      headers: { 'idempotency-key': 'k' },
    });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await redeem(body, 'k', 'x'.repeat(40))).statusCode).toBe(401);
    const foreign = await redeem(body, 'k', OTHER_TOKEN);
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json()).toMatchObject({ code: 'FORBIDDEN' });
    const noKey = await call('POST', `/v1/tenants/${tenant}/redemptions`, body);
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().message).toMatch(/idempotency-key/);
    for (const bad of [
      { ...body, orderAmount: -1 },
      { ...body, orderAmount: 1.5 },
      { ...body, orderAmount: '100' },
      { ...body, userId: 'has space' },
      { ...body, extra: true },
      { code, userId: 'u0', orderAmount: 1 },
    ]) {
      const refused = await redeem(bad, uniqueName('key'));
      expect(refused.statusCode).toBe(400);
      expect(refused.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    const badId = await call('GET', `/v1/tenants/${tenant}/redemptions/42`);
    expect(badId.statusCode).toBe(400);
    const missing = await call('GET', `/v1/tenants/${tenant}/redemptions/rdm_999999`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'NOT_FOUND' });
    const notJson = await app.inject({
      method: 'POST',
      url: `/v1/tenants/${tenant}/redemptions`,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'idempotency-key': 'k',
        'content-type': 'application/json',
      },
      payload: '{"code":',
    });
    expect(notJson.statusCode).toBe(400);
    // Nothing of that was redeemed.
    expect((await call('GET', `/v1/tenants/${tenant}/coupons/${code}`)).json()).toMatchObject({
      state: 'AVAILABLE',
    });
  });

  it('redeems once: a retry with the key replays, another order is refused, the same order under a new key gets its redemption', async () => {
    const { codes } = await sale(1);
    const code = codes.get('u0')!;
    const body = { code, userId: 'u0', orderId: 'order-1', orderAmount: 20_000 };
    const first = await redeem(body, 'key-1');
    expect(first.statusCode).toBe(201);
    const redemption = first.json();
    expect(redemption).toMatchObject({
      state: 'REDEEMED',
      code,
      orderId: 'order-1',
      discountAmount: 2_000,
    });
    expect(redemption.id).toMatch(/^rdm_\d+$/);

    const retry = await redeem(body, 'key-1');
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(redemption);

    const reused = await redeem({ ...body, orderId: 'order-2' }, 'key-1');
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });

    const other = await redeem({ ...body, orderId: 'order-2' }, 'key-2');
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ code: 'COUPON_ALREADY_REDEEMED' });

    const sameOrder = await redeem(body, 'key-3');
    expect(sameOrder.statusCode).toBe(200);
    expect(sameOrder.json().id).toBe(redemption.id);

    const coupon = (await call('GET', `/v1/tenants/${tenant}/coupons/${code}`)).json();
    expect(coupon).toMatchObject({ state: 'REDEEMED', redemption: { id: redemption.id } });
    expect(
      coupon.history.map((h: { action: string; code?: string }) => [h.action, h.code]),
    ).toEqual([
      ['REDEEMED', undefined],
      ['REFUSED', 'COUPON_ALREADY_REDEEMED'],
    ]);
    const events = (await outboxEvents()).filter((e) => e.coupon.code === code);
    expect(events.map((e) => [e.type, e.id])).toEqual([
      ['CouponRedeemed', `${redemption.id}.redeemed`],
    ]);
  });

  it('lets exactly one of many racing orders win a code', async () => {
    const { codes } = await sale(1);
    const code = codes.get('u0')!;
    const racers = 40;
    const answers = await Promise.all(
      Array.from({ length: racers }, (_, i) =>
        redeem({ code, userId: 'u0', orderId: `race-${i}`, orderAmount: 10_000 }, `race-key-${i}`),
      ),
    );
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(racers - 1);
    const rows = (await env.sources[0]!.query(
      `SELECT r.state, r.order_id FROM coupon_redemptions r JOIN issued_coupons c
         ON c.event_id = r.event_id AND c.serial = r.serial WHERE c.code = ?`,
      [code],
    )) as { state: string; order_id: string }[];
    expect(rows).toHaveLength(1);
    const winner = answers.find((a) => a.statusCode === 201)!.json();
    expect(rows[0]).toEqual({ state: 'REDEEMED', order_id: winner.orderId });
    const events = (await outboxEvents()).filter((e) => e.coupon.code === code);
    expect(events).toHaveLength(1);
  });

  it('answers racing retries of one Idempotency-Key with one redemption', async () => {
    const { codes } = await sale(1);
    const code = codes.get('u0')!;
    const body = { code, userId: 'u0', orderId: 'retry-order', orderAmount: 10_000 };
    const answers = await Promise.all(Array.from({ length: 20 }, () => redeem(body, 'same-key')));
    expect(answers.every((a) => a.statusCode === 201)).toBe(true);
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
    expect(answers.filter((a) => a.headers['idempotent-replayed'] === 'true')).toHaveLength(19);
  });

  it('releases a redemption (idempotently) and the coupon can be redeemed again, with the whole history kept', async () => {
    const { codes } = await sale(1);
    const code = codes.get('u0')!;
    const first = (
      await redeem({ code, userId: 'u0', orderId: 'o-a', orderAmount: 5_000 }, 'rel-1')
    ).json();
    const url = `/v1/tenants/${tenant}/redemptions/${first.id}/release`;
    const released = await call('POST', url, { reason: 'payment failed' });
    expect(released.statusCode).toBe(200);
    expect(released.json()).toMatchObject({
      id: first.id,
      state: 'RELEASED',
      releaseReason: 'payment failed',
    });
    const again = await call('POST', url, { reason: 'payment failed' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(released.json());
    expect((await call('GET', `/v1/tenants/${tenant}/redemptions/${first.id}`)).json()).toEqual(
      released.json(),
    );
    const foreign = await call('POST', url, { reason: 'x' }, {}, OTHER_TOKEN);
    expect(foreign.statusCode).toBe(403);

    const second = await redeem(
      { code, userId: 'u0', orderId: 'o-b', orderAmount: 5_000 },
      'rel-2',
    );
    expect(second.statusCode).toBe(201);
    expect(second.json().id).not.toBe(first.id);
    const coupon = (await call('GET', `/v1/tenants/${tenant}/coupons/${code}`)).json();
    expect(coupon.state).toBe('REDEEMED');
    expect(coupon.history.map((h: { action: string }) => h.action)).toEqual([
      'REDEEMED',
      'RELEASED',
      'REDEEMED',
    ]);
    const events = (await outboxEvents()).filter((e) => e.coupon.code === code);
    expect(events.map((e) => e.type)).toEqual([
      'CouponRedeemed',
      'CouponReleased',
      'CouponRedeemed',
    ]);
    // A coupon's events are ordered by their sequence (the outbox row).
    const sequences = events.map((e) => e.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
    expect(events[1]).toMatchObject({ reason: 'payment failed', redemption: { id: first.id } });
  });

  it('refuses a coupon outside its validity window and audits the refusal', async () => {
    const { codes } = await sale(1, { validity: { validForHours: 1 } });
    const code = codes.get('u0')!;
    clock = new Date(Date.now() + 2 * 3_600_000);
    try {
      const late = await redeem(
        { code, userId: 'u0', orderId: 'late', orderAmount: 5_000 },
        'late-1',
      );
      expect(late.statusCode).toBe(422);
      expect(late.json()).toMatchObject({ code: 'COUPON_EXPIRED' });
    } finally {
      clock = undefined;
    }
    const coupon = (await call('GET', `/v1/tenants/${tenant}/coupons/${code}`)).json();
    expect(coupon.state).toBe('AVAILABLE');
    expect(coupon.history).toMatchObject([
      { action: 'REFUSED', code: 'COUPON_EXPIRED', orderId: 'late' },
    ]);
  });

  it('answers 503 UNAVAILABLE with Retry-After before the database is open', async () => {
    const closed = await buildRedemptionApp({
      keys: new ApiKeys(apiKeysSchema.parse(`*=${TOKEN}`)),
      redemptions: () => undefined,
      logger: createLogger('silent'),
    });
    try {
      const answer = await closed.inject({
        method: 'GET',
        url: `/v1/tenants/${tenant}/coupons/T-ANY`,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(answer.statusCode).toBe(503);
      expect(answer.headers['retry-after']).toBe('1');
      expect(answer.json()).toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      await closed.close();
    }
  });

  it('describes itself in an OpenAPI document with a bearer security scheme and named schemas', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.schemas).sort()).toEqual([
      'Coupon',
      'Redemption',
      'RedemptionError',
      'Validation',
    ]);
    expect(JSON.stringify(doc.paths)).not.toContain('def-');
    expect(doc.components.securitySchemes.shopToken).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/tenants/{tenant}/coupons/{code}',
        '/v1/tenants/{tenant}/coupons/{code}/validate',
        '/v1/tenants/{tenant}/redemptions',
        '/v1/tenants/{tenant}/redemptions/{redemptionId}/release',
      ]),
    );
  });
});
