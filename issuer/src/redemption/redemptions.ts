import type { DataSource } from 'typeorm';
import {
  ErrorCode,
  RediclaimError,
  lifecycleEventIdOf,
  redemptionIdOf,
  type CouponRedeemed,
  type CouponReleased,
} from '@rediclaim/core';
import type { Sql } from '../db/connection.js';
import { AuditAction } from '../db/entities/coupon-audit.js';
import { inTransaction } from '../db/transaction.js';
import { eventOutboxInsert } from '../outbox/outbox-rows.js';
import { judgeRedemption } from './judge.js';
import {
  activeRedemption,
  appendAudit,
  couponAt,
  findCoupons,
  historyOf,
  insertRedemption,
  lockCoupon,
  markReleased,
  redemptionById,
  redemptionsFor,
  type StoredCoupon,
  type StoredRedemption,
} from './redemption-store.js';
import { requestHashOf, type RedeemRequest } from './request-hash.js';
import {
  couponRefOf,
  couponView,
  redemptionRefOf,
  redemptionView,
  type CouponView,
  type RedemptionView,
} from './views.js';

export interface ValidateRequest {
  code: string;
  eventId?: string | undefined;
  userId: string;
  orderAmount: number;
  currency?: string | undefined;
}

export interface Validation {
  valid: boolean;
  discountAmount: number;
  /** Why not, when not valid. */
  reason?: { code: ErrorCode; message: string };
  coupon: CouponView;
}

export interface RedeemOutcome {
  /** created: this call redeemed it; replayed: the same Idempotency-Key answered again;
   *  existing: the same order had already redeemed the coupon under another key. */
  result: 'created' | 'replayed' | 'existing';
  redemption: RedemptionView;
}

export interface ReleaseOutcome {
  /** False when it was released already (releasing is idempotent). */
  changed: boolean;
  redemption: RedemptionView;
}

export interface RedemptionHooks {
  /** A redemption or release committed, or a refusal was answered (its code). */
  decided?(operation: 'redeem' | 'release', outcome: string, coupon: StoredCoupon): void;
  /** A change committed an outbox row: the relay may publish now rather than at its next poll. */
  committed?(): void;
}

/** MySQL errors worth one more attempt of the whole operation: deadlock, lock wait, a raced insert. */
const RETRIED = new Set([1213, 1205, 1062]);
const ATTEMPTS = 3;

/**
 * Validate, redeem and release issued coupons, each in one transaction that locks the
 * coupon's row first: two orders racing for one code take turns, and the second finds
 * the first's redemption (exactly one wins). A redemption and a release write their
 * lifecycle event to the outbox in the same transaction, after that lock, so a coupon's
 * events are ordered by the outbox's ids.
 */
export class Redemptions {
  constructor(
    private readonly dataSource: DataSource,
    private readonly options: {
      queryTimeoutMs?: number;
      hooks?: RedemptionHooks;
      now?: () => Date;
    } = {},
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private transaction<T>(work: (sql: Sql) => Promise<T>, transaction = true): Promise<T> {
    return inTransaction(this.dataSource, work, {
      transaction,
      ...(this.options.queryTimeoutMs ? { queryTimeoutMs: this.options.queryTimeoutMs } : {}),
    });
  }

  /** Reads that change nothing: plain statements, no transaction to begin and commit. */
  private read<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return this.transaction(work, false);
  }

  private async attempt<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        const errno = (error as { errno?: number } | null)?.errno;
        if (attempt >= ATTEMPTS || errno === undefined || !RETRIED.has(errno)) throw error;
      }
    }
  }

  /** The one coupon a (tenant, code[, eventId]) names, or NOT_FOUND / AMBIGUOUS. */
  private async theCoupon(
    sql: Sql,
    tenant: string,
    code: string,
    eventId?: string,
  ): Promise<StoredCoupon> {
    const found = await findCoupons(sql, tenant, code, eventId);
    if (found.length === 0) {
      throw new RediclaimError(
        ErrorCode.CouponNotFound,
        `no coupon ${code} in tenant ${tenant}${eventId ? ` event ${eventId}` : ''}`,
      );
    }
    if (found.length > 1) {
      throw new RediclaimError(
        ErrorCode.CouponCodeAmbiguous,
        `code ${code} names coupons of several sales (${[...new Set(found.map((c) => c.eventId))].join(', ')}); pass eventId`,
      );
    }
    return found[0]!;
  }

  async coupon(tenant: string, code: string, eventId?: string): Promise<CouponView> {
    return this.read(async (sql) => {
      const coupon = await this.theCoupon(sql, tenant, code, eventId);
      const history = await historyOf(sql, coupon.saleId, coupon.serial);
      const active = history.redemptions.find((r) => r.state === 'REDEEMED');
      return couponView(coupon, active, history.audit);
    });
  }

  async validate(tenant: string, request: ValidateRequest): Promise<Validation> {
    const now = this.now();
    return this.read(async (sql) => {
      const coupon = await this.theCoupon(sql, tenant, request.code, request.eventId);
      const active = await activeRedemption(sql, coupon.saleId, coupon.serial);
      const view = couponView(coupon, active);
      const judged = judgeRedemption(coupon, request, now);
      if (!judged.ok) {
        return { valid: false, discountAmount: 0, reason: judged, coupon: view };
      }
      if (active) {
        return {
          valid: false,
          discountAmount: 0,
          reason: {
            code: ErrorCode.CouponAlreadyRedeemed,
            message: `the coupon is redeemed by order ${active.orderId}`,
          },
          coupon: view,
        };
      }
      return { valid: true, discountAmount: judged.discountAmount, coupon: view };
    });
  }

  async redeem(
    tenant: string,
    request: RedeemRequest,
    idempotencyKey: string,
  ): Promise<RedeemOutcome> {
    const requestHash = requestHashOf(request);
    const outcome = await this.attempt(() =>
      this.transaction(async (sql) => {
        const coupon = await this.theCoupon(sql, tenant, request.code, request.eventId);
        // Queued right behind the lock, so it reads after the lock is held: a racing
        // retry with the same key, or a racing order, has committed by then.
        const locked = lockCoupon(sql, coupon.saleId, coupon.serial);
        locked.catch(() => undefined); // awaited below
        const found = await redemptionsFor(
          sql,
          tenant,
          idempotencyKey,
          coupon.saleId,
          coupon.serial,
        );
        await locked;
        if (found.byKey) return this.replay(sql, found.byKey, requestHash, idempotencyKey);

        const now = this.now();
        // A refusal commits its audit row, then is thrown to the caller.
        const refuse = async (code: ErrorCode, message: string): Promise<Refused> => {
          await appendAudit(sql, coupon.saleId, coupon.serial, {
            action: AuditAction.Refused,
            redemptionId: null,
            orderId: request.orderId,
            code,
            detail: message,
            at: now,
          });
          return { refused: new RediclaimError(code, message), coupon };
        };
        const active = found.active;
        if (active) {
          if (active.orderId === request.orderId && active.userId === request.userId) {
            return {
              result: 'existing' as const,
              redemption: redemptionView(active, coupon),
              coupon,
            };
          }
          return refuse(
            ErrorCode.CouponAlreadyRedeemed,
            `the coupon is redeemed by another order (${redemptionIdOf(active.id)}); release it first`,
          );
        }
        const judged = judgeRedemption(coupon, request, now);
        if (!judged.ok) return refuse(judged.code, judged.message);

        const stored: Omit<StoredRedemption, 'id'> = {
          tenant,
          saleId: coupon.saleId,
          serial: coupon.serial,
          userId: request.userId,
          orderId: request.orderId,
          idempotencyKey,
          requestHash,
          orderAmount: request.orderAmount,
          discountAmount: judged.discountAmount,
          currency: request.currency ?? coupon.discount.currency ?? null,
          state: 'REDEEMED',
          redeemedAt: now,
          releasedAt: null,
          releaseReason: null,
        };
        const id = await insertRedemption(sql, stored);
        const redemption: StoredRedemption = { ...stored, id };
        const event: Omit<CouponRedeemed, 'sequence'> = {
          type: 'CouponRedeemed',
          version: 1,
          id: lifecycleEventIdOf('CouponRedeemed', redemptionIdOf(id)),
          occurredAt: now.toISOString(),
          ...saleOf(coupon),
          coupon: couponRefOf(coupon),
          redemption: redemptionRefOf(redemption),
        };
        await Promise.all([
          appendAudit(sql, coupon.saleId, coupon.serial, {
            action: AuditAction.Redeemed,
            redemptionId: id,
            orderId: request.orderId,
            code: null,
            detail: null,
            at: now,
          }),
          sql(eventOutboxInsert(event, now)),
        ]);
        return {
          result: 'created' as const,
          redemption: redemptionView(redemption, coupon),
          coupon,
        };
      }),
    );
    if ('refused' in outcome) {
      this.options.hooks?.decided?.('redeem', outcome.refused.code, outcome.coupon);
      throw outcome.refused;
    }
    this.options.hooks?.decided?.('redeem', outcome.result.toUpperCase(), outcome.coupon);
    if (outcome.result === 'created') this.options.hooks?.committed?.();
    return { result: outcome.result, redemption: outcome.redemption };
  }

  private async replay(
    sql: Sql,
    earlier: StoredRedemption,
    requestHash: string,
    idempotencyKey: string,
  ): Promise<RedeemOutcome & { coupon: StoredCoupon }> {
    if (earlier.requestHash !== requestHash) {
      throw new RediclaimError(
        ErrorCode.IdempotencyKeyReused,
        `Idempotency-Key ${idempotencyKey} was used for another request (${redemptionIdOf(earlier.id)}); use a new key per redemption`,
      );
    }
    const coupon = (await couponAt(sql, earlier.saleId, earlier.serial))!;
    return { result: 'replayed', redemption: redemptionView(earlier, coupon), coupon };
  }

  async redemption(tenant: string, id: number): Promise<RedemptionView> {
    return this.read(async (sql) => {
      const found = await redemptionById(sql, tenant, id);
      if (!found) throw notFound(tenant, id);
      return redemptionView(found, (await couponAt(sql, found.saleId, found.serial))!);
    });
  }

  /** Gives the coupon back (the order was cancelled, its payment failed); idempotent. */
  async release(tenant: string, id: number, reason: string): Promise<ReleaseOutcome> {
    const outcome = await this.attempt(() =>
      this.transaction(async (sql) => {
        const found = await redemptionById(sql, tenant, id);
        if (!found) throw notFound(tenant, id);
        // The coupon first, as redeem locks it: one lock order, no deadlock between them.
        // Once it is held nobody else changes this redemption, so the reads queued right
        // behind it (sent together, answered in order) see its latest state.
        const locked = lockCoupon(sql, found.saleId, found.serial);
        locked.catch(() => undefined); // awaited below
        const [current, coupon] = await Promise.all([
          redemptionById(sql, tenant, id).then((r) => r!),
          couponAt(sql, found.saleId, found.serial).then((c) => c!),
          locked,
        ]);
        if (current.state === 'RELEASED') {
          return { changed: false, redemption: redemptionView(current, coupon), coupon };
        }
        const now = this.now();
        await markReleased(sql, id, reason, now);
        const released: StoredRedemption = {
          ...current,
          state: 'RELEASED',
          releasedAt: now,
          releaseReason: reason,
        };
        const event: Omit<CouponReleased, 'sequence'> = {
          type: 'CouponReleased',
          version: 1,
          id: lifecycleEventIdOf('CouponReleased', redemptionIdOf(id)),
          occurredAt: now.toISOString(),
          ...saleOf(coupon),
          coupon: couponRefOf(coupon),
          redemption: redemptionRefOf(released),
          reason,
        };
        await Promise.all([
          appendAudit(sql, coupon.saleId, coupon.serial, {
            action: AuditAction.Released,
            redemptionId: id,
            orderId: current.orderId,
            code: null,
            detail: reason,
            at: now,
          }),
          sql(eventOutboxInsert(event, now)),
        ]);
        return { changed: true, redemption: redemptionView(released, coupon), coupon };
      }),
    );
    if (outcome.changed) {
      this.options.hooks?.decided?.('release', 'RELEASED', outcome.coupon);
      this.options.hooks?.committed?.();
    }
    return { changed: outcome.changed, redemption: outcome.redemption };
  }
}

function saleOf(coupon: StoredCoupon): { tenant: string; eventId: string; uid?: string } {
  return {
    tenant: coupon.tenant,
    eventId: coupon.eventId,
    ...(coupon.uid ? { uid: coupon.uid } : {}),
  };
}

function notFound(tenant: string, id: number): RediclaimError {
  return new RediclaimError(
    ErrorCode.NotFound,
    `no redemption ${redemptionIdOf(id)} in tenant ${tenant}`,
  );
}

/** A redemption refused, with its audit row written in the transaction (which commits). */
interface Refused {
  refused: RediclaimError;
  coupon: StoredCoupon;
}
