import * as k8s from '@kubernetes/client-node';
import mysql from 'mysql2/promise';
import { CouponEventApi, type CouponEventSpecInput } from '@rediclaim/core';
import { runCrowd, type CrowdProgress, type CrowdReport } from '../crowd/crowd.js';
import { checkInvariants, type InvariantCheck } from '../demo/invariants.js';
import { waitForEventAtGate } from '../demo/wait.js';
import type { Release } from './release.js';

export interface ClusterSaleOptions {
  /** The namespace of the CouponEvent (the tenant). */
  tenant: string;
  /** CouponEvent name; the event id is spec.eventId. */
  name: string;
  spec: CouponEventSpecInput;
  /** How the CouponEvent gets created (default: through the API, as kubectl apply would). */
  apply?: () => Promise<void>;
  users: number;
  arrivalSeconds: number;
  userIdPrefix?: string;
  /** Runs beside the crowd; `crowdDone()` tells when the last shopper knows. */
  during?: (crowdDone: () => boolean) => Promise<void>;
  onProgress?: (progress: CrowdProgress) => void;
  giveUpMs?: number;
}

export interface ClusterSale {
  eventId: string;
  report: CrowdReport;
  invariants: InvariantCheck[];
  /** When the CouponEvent was created (epoch ms). */
  appliedAt: number;
  /** From the sale's opening to the last coupon committed in MySQL. */
  soldOutMs: number | undefined;
}

/**
 * One sale on the real cluster, as its users run one: the CouponEvent created through
 * the API server, a crowd at the gate's Service, then every invariant of the demo
 * checked against the MariaDB pod.
 */
export async function runClusterSale(
  release: Release,
  options: ClusterSaleOptions,
): Promise<ClusterSale> {
  const custom = release.kc.makeApiClient(k8s.CustomObjectsApi);
  const eventId = options.spec.eventId ?? options.name;
  const appliedAt = Date.now();
  const apply =
    options.apply ??
    (() =>
      custom
        .createNamespacedCustomObject({
          group: CouponEventApi.group,
          version: CouponEventApi.version,
          plural: CouponEventApi.plural,
          namespace: options.tenant,
          body: {
            apiVersion: CouponEventApi.apiVersion,
            kind: CouponEventApi.kind,
            metadata: { name: options.name },
            spec: options.spec,
          },
        })
        .then(() => undefined));
  await apply();
  const gateUrl = await release.gateUrl();
  await waitForEventAtGate(gateUrl, eventId, 60_000);
  let crowdDone = false;
  const crowd = runCrowd({
    gateUrls: [gateUrl],
    eventId,
    users: options.users,
    arrivalSeconds: options.arrivalSeconds,
    userIdPrefix: options.userIdPrefix ?? `${eventId}-`,
    connectionsPerGate: 128,
    giveUpMs: options.giveUpMs ?? 240_000,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  }).finally(() => (crowdDone = true));
  const [report] = await Promise.all([crowd, options.during?.(() => crowdDone)]);

  const connection = await release.mysqlConnection();
  const invariants = await checkInvariants({
    mysql: connection,
    tenant: options.tenant,
    eventId,
    stock: options.spec.coupon.stock,
    perUserLimit: options.spec.coupon.perUserLimit ?? 1,
    report,
  });
  const conn = await mysql.createConnection(connection);
  let lastIssued: number | undefined;
  try {
    const [rows] = await conn.query(
      `SELECT UNIX_TIMESTAMP(MAX(c.issued_at)) * 1000 AS last FROM issued_coupons c
         JOIN coupon_events e ON e.id = c.event_id WHERE e.tenant = ? AND e.event_id = ?`,
      [options.tenant, eventId],
    );
    const last = Number((rows as { last: number | null }[])[0]?.last);
    lastIssued = Number.isFinite(last) && last > 0 ? last : undefined;
  } finally {
    await conn.end();
  }
  const opensAt = Math.max(appliedAt, Date.parse(options.spec.schedule.opensAt));
  return {
    eventId,
    report,
    invariants,
    appliedAt,
    soldOutMs: lastIssued !== undefined ? lastIssued - opensAt : undefined,
  };
}
