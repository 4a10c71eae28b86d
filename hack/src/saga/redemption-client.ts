/**
 * A shop's client of the issuer's redemption API (issuer/README.md): what a checkout
 * service would hold. Plain fetch; every non-2xx answer becomes a RedemptionApiError
 * carrying the API's stable error code.
 */

export interface Redemption {
  id: string;
  state: 'REDEEMED' | 'RELEASED';
  couponId: string;
  code: string;
  orderId: string;
  userId: string;
  orderAmount: number;
  discountAmount: number;
  redeemedAt: string;
  releasedAt?: string;
  releaseReason?: string;
}

export interface Coupon {
  id: string;
  code: string;
  userId: string;
  state: 'AVAILABLE' | 'REDEEMED';
  redemption?: Redemption;
  history: { action: string; at: string; code?: string; orderId?: string }[];
}

export class RedemptionApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`${status} ${code}: ${message}`);
  }

  /** Worth retrying later (the database or the issuer was unavailable). */
  get transient(): boolean {
    return this.status === 503 || this.status === 0;
  }
}

export class RedemptionClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly tenant: string,
  ) {}

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: object,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T; replayed: boolean }> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/v1/tenants/${this.tenant}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new RedemptionApiError(0, 'NETWORK', (error as Error).message);
    }
    const json = (await res.json()) as T & { code?: string; message?: string };
    if (!res.ok) {
      throw new RedemptionApiError(res.status, json.code ?? 'UNKNOWN', json.message ?? '');
    }
    return {
      status: res.status,
      body: json,
      replayed: res.headers.get('idempotent-replayed') === 'true',
    };
  }

  async coupon(code: string): Promise<Coupon> {
    return (await this.call<Coupon>('GET', `/coupons/${encodeURIComponent(code)}`)).body;
  }

  async validate(
    code: string,
    order: { userId: string; orderAmount: number },
  ): Promise<{ valid: boolean; discountAmount: number; reason?: { code: string } }> {
    const answer = await this.call<{ valid: boolean; discountAmount: number }>(
      'POST',
      `/coupons/${encodeURIComponent(code)}/validate`,
      order,
    );
    return answer.body;
  }

  /** Redeems once per `idempotencyKey`: sending it again answers the first redemption. */
  async redeem(
    request: { code: string; userId: string; orderId: string; orderAmount: number },
    idempotencyKey: string,
  ): Promise<{ redemption: Redemption; replayed: boolean }> {
    const answer = await this.call<Redemption>('POST', '/redemptions', request, {
      'idempotency-key': idempotencyKey,
    });
    return { redemption: answer.body, replayed: answer.replayed };
  }

  async release(redemptionId: string, reason: string): Promise<Redemption> {
    return (await this.call<Redemption>('POST', `/redemptions/${redemptionId}/release`, { reason }))
      .body;
  }
}
