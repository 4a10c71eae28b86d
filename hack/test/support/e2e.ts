import * as k8s from '@kubernetes/client-node';
import mysql from 'mysql2/promise';
import { CouponEventApi, type CouponEventSpecInput, type CouponEventStatus } from '@rediclaim/core';
import { waitFor, type E2E } from '@rediclaim/hack/testing';

/** A CouponEvent spec for a sale that opens `opensInMs` from now. */
export function saleSpec(options: {
  eventId: string;
  stock: number;
  rate: number;
  opensInMs?: number;
  closesInMs?: number;
  paused?: boolean;
  perUserLimit?: number;
}): CouponEventSpecInput {
  const opensAt = new Date(Date.now() + (options.opensInMs ?? 0));
  return {
    eventId: options.eventId,
    schedule: {
      opensAt: opensAt.toISOString(),
      ...(options.closesInMs !== undefined
        ? { closesAt: new Date(Date.now() + options.closesInMs).toISOString() }
        : {}),
    },
    admission: {
      dispatchPerSecond: options.rate,
      mode: options.paused ? 'paused' : 'fifo',
      processingTimeoutSeconds: 10,
    },
    coupon: {
      stock: options.stock,
      perUserLimit: options.perUserLimit ?? 1,
      validity: { validForHours: 24 },
      discount: { type: 'percent', percent: 10 },
      code: { prefix: 'E2E-', length: 10 },
    },
  };
}

export { waitFor };

export interface ShopperStatus {
  status: string;
  rank?: number | null;
  reason?: string;
  coupon?: { code: string };
  code?: string;
}

/** GET /v1/events/:eventId/queue/me: what one shopper sees. */
export async function statusOf(
  gateUrl: string,
  eventId: string,
  userId: string,
): Promise<ShopperStatus> {
  const res = await fetch(
    `${gateUrl}/v1/events/${eventId}/queue/me?userId=${encodeURIComponent(userId)}`,
  );
  const body = (await res.json()) as ShopperStatus;
  return body.status ? body : { status: body.code ?? `HTTP_${res.status}` };
}

/** POST /v1/events/:eventId/queue: one shopper joins; refusals come back as their code. */
export async function join(
  gateUrl: string,
  eventId: string,
  userId: string,
): Promise<ShopperStatus & { httpStatus: number }> {
  const res = await fetch(
    `${gateUrl}/v1/events/${eventId}/queue?userId=${encodeURIComponent(userId)}`,
    { method: 'POST' },
  );
  const body = (await res.json()) as ShopperStatus;
  return {
    ...body,
    status: body.status ?? body.code ?? `HTTP_${res.status}`,
    httpStatus: res.status,
  };
}

/** The gate knows the event once the operator has rendered it and the gate applied the config. */
export function gateKnows(gateUrl: string, eventId: string): Promise<true> {
  return waitFor(
    `the gate to serve event ${eventId}`,
    async () => (await fetch(`${gateUrl}/v1/events/${eventId}`)).ok || undefined,
  );
}

export async function couponEventStatus(
  e2e: E2E,
  tenant: string,
  name: string,
): Promise<CouponEventStatus | undefined> {
  const custom = e2e.kc.makeApiClient(k8s.CustomObjectsApi);
  const object = (await custom.getNamespacedCustomObject({
    group: CouponEventApi.group,
    version: CouponEventApi.version,
    plural: CouponEventApi.plural,
    namespace: e2e.tenants[tenant]!,
    name,
  })) as { status?: CouponEventStatus };
  return object.status;
}

interface GateStats {
  admittedTotal: number;
  waiting: number;
  issued: number;
  soldOut: boolean;
  /** The config generation the gate serves. */
  generation: number;
}

/** Admission counters of the event from the gate's internal API. */
export async function gateStats(e2e: E2E, tenant: string, eventId: string): Promise<GateStats> {
  const res = await fetch(
    `${e2e.platform.gateAdminUrls[0]}/internal/v1/events/${e2e.tenants[tenant]}/${eventId}/stats`,
    { headers: { authorization: `Bearer ${e2e.platform.adminToken}` } },
  );
  return (await res.json()) as GateStats;
}

/** Coupons issued for an event, counted in MySQL (the source of truth). */
export async function issuedIn(e2e: E2E, eventId: string): Promise<number> {
  const conn = await mysql.createConnection(e2e.platform.mysqlUrl);
  try {
    const [rows] = await conn.query(
      'SELECT COUNT(*) AS n FROM issued_coupons c JOIN coupon_events e ON e.id = c.event_id WHERE e.event_id = ?',
      [eventId],
    );
    return Number((rows as { n: number }[])[0]!.n);
  } finally {
    await conn.end();
  }
}
