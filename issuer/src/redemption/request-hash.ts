import { createHash } from 'node:crypto';

/** What a redemption request asks, as the idempotency key's owner sent it. */
export interface RedeemRequest {
  code: string;
  eventId?: string | undefined;
  userId: string;
  orderId: string;
  orderAmount: number;
  currency?: string | undefined;
}

/**
 * SHA-256 of the request's canonical form: the same Idempotency-Key with another request
 * (another order, amount, code) is a client bug to refuse, not a retry to replay.
 */
export function requestHashOf(request: RedeemRequest): string {
  const canonical = JSON.stringify([
    request.code,
    request.eventId ?? '',
    request.userId,
    request.orderId,
    request.orderAmount,
    request.currency ?? '',
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
