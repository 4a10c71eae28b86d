import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { Logger } from 'pino';
import {
  ErrorCode,
  RediclaimError,
  redemptionNumberOf,
  openApiComponentName,
} from '@rediclaim/core';
import type { Redemptions } from '../redemption/redemptions.js';
import { installApiErrors } from './api-errors.js';
import type { ApiKeys } from './api-keys.js';
import {
  couponJson,
  couponParams,
  errorJson,
  errors,
  eventQuery,
  idempotencyHeaders,
  redeemBody,
  redemptionJson,
  redemptionParams,
  releaseBody,
  tenantParams,
  validateBody,
  validationJson,
} from './redemption-schemas.js';

export interface RedemptionApiOptions {
  keys: ApiKeys;
  /** The operations, once the database is open (503 UNAVAILABLE before). */
  redemptions(): Redemptions | undefined;
  logger: Logger;
}

interface TenantParams {
  tenant: string;
}

const ajv = {
  customOptions: { removeAdditional: false as const, coerceTypes: false as const },
};

/**
 * The redemption API a shop's checkout calls (not the shopper: every route needs a
 * tenant's bearer token): look a coupon up, validate it for an order, redeem it once
 * (Idempotency-Key), release the redemption when the order fails. Served on its own
 * port (ISSUER_API_PORT), apart from the admin endpoints.
 */
export async function buildRedemptionApp(options: RedemptionApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ajv, bodyLimit: 16 * 1024 });
  installApiErrors(app, options.logger);
  app.addSchema(errorJson);
  app.addSchema(redemptionJson);
  app.addSchema(couponJson);
  app.addSchema(validationJson);
  await app.register(swagger, {
    refResolver: {
      buildLocalReference: (json, _uri, _fragment, i) => openApiComponentName(json, i),
    },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'rediclaim redemption',
        description:
          "Check, redeem and release issued coupons from a shop's checkout. Every change is published as a lifecycle event (CouponRedeemed, CouponReleased) on the coupons topic.",
        version: '1',
      },
      components: {
        securitySchemes: {
          shopToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'A token of REDEMPTION_API_KEYS for the tenant in the path.',
          },
        },
      },
      security: [{ shopToken: [] }],
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const ops = () => {
    const redemptions = options.redemptions();
    if (!redemptions) {
      throw new RediclaimError(ErrorCode.Unavailable, 'the database is not connected yet');
    }
    return redemptions;
  };

  await app.register(async (api) => {
    api.addHook('preHandler', async (request: FastifyRequest<{ Params: TenantParams }>) => {
      const header = request.headers.authorization ?? '';
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      if (!token || !options.keys.known(token)) {
        throw new RediclaimError(
          ErrorCode.Unauthenticated,
          'send Authorization: Bearer <token> with a token of REDEMPTION_API_KEYS',
        );
      }
      if (!options.keys.allows(token, request.params.tenant)) {
        throw new RediclaimError(
          ErrorCode.Forbidden,
          `this token does not act for tenant ${request.params.tenant}`,
        );
      }
    });

    api.get<{ Params: TenantParams & { code: string }; Querystring: { eventId?: string } }>(
      '/v1/tenants/:tenant/coupons/:code',
      {
        schema: {
          summary: 'A coupon, its redemption in force and its history',
          params: couponParams,
          querystring: eventQuery,
          response: { 200: { $ref: 'Coupon#' }, ...errors(400, 401, 403, 404, 409, 503) },
        },
      },
      async (request) =>
        ops().coupon(request.params.tenant, request.params.code, request.query.eventId),
    );

    api.post<{
      Params: TenantParams & { code: string };
      Body: { userId: string; orderAmount: number; currency?: string; eventId?: string };
    }>(
      '/v1/tenants/:tenant/coupons/:code/validate',
      {
        schema: {
          summary: 'Whether the coupon can be used on an order now, and what it takes off',
          description:
            'Changes nothing. valid:false says why with a stable code (COUPON_NOT_OWNED, COUPON_EXPIRED, ORDER_BELOW_MINIMUM, COUPON_ALREADY_REDEEMED, ...).',
          params: couponParams,
          body: validateBody,
          response: { 200: { $ref: 'Validation#' }, ...errors(400, 401, 403, 404, 409, 503) },
        },
      },
      async (request) =>
        ops().validate(request.params.tenant, { ...request.body, code: request.params.code }),
    );

    api.post<{
      Params: TenantParams;
      Headers: { 'idempotency-key': string };
      Body: {
        code: string;
        userId: string;
        orderId: string;
        orderAmount: number;
        currency?: string;
        eventId?: string;
      };
    }>(
      '/v1/tenants/:tenant/redemptions',
      {
        schema: {
          summary: 'Redeem a coupon for an order, once',
          description:
            '201 when redeemed (or when the same Idempotency-Key is sent again with the same request: the first answer, with Idempotent-Replayed: true); 200 when this order had redeemed the coupon already under another key; 409 COUPON_ALREADY_REDEEMED when another order holds it; 422 IDEMPOTENCY_KEY_REUSED for a key sent with another request. Refusals are not stored under the key: a retry is judged again.',
          params: tenantParams,
          headers: idempotencyHeaders,
          body: redeemBody,
          response: {
            200: { $ref: 'Redemption#' },
            201: { $ref: 'Redemption#' },
            ...errors(400, 401, 403, 404, 409, 422, 503),
          },
        },
      },
      async (request, reply) => {
        const outcome = await ops().redeem(
          request.params.tenant,
          request.body,
          request.headers['idempotency-key'],
        );
        if (outcome.result === 'replayed') reply.header('idempotent-replayed', 'true');
        reply.code(outcome.result === 'existing' ? 200 : 201);
        return outcome.redemption;
      },
    );

    api.get<{ Params: TenantParams & { redemptionId: string } }>(
      '/v1/tenants/:tenant/redemptions/:redemptionId',
      {
        schema: {
          summary: 'A redemption',
          params: redemptionParams,
          response: { 200: { $ref: 'Redemption#' }, ...errors(400, 401, 403, 404, 503) },
        },
      },
      async (request) =>
        ops().redemption(request.params.tenant, redemptionNumberOf(request.params.redemptionId)!),
    );

    api.post<{ Params: TenantParams & { redemptionId: string }; Body: { reason: string } }>(
      '/v1/tenants/:tenant/redemptions/:redemptionId/release',
      {
        schema: {
          summary: 'Give the coupon back: the order was cancelled or its payment failed',
          description:
            'Idempotent: releasing a released redemption answers it as it is. The coupon can then be redeemed again.',
          params: redemptionParams,
          body: releaseBody,
          response: { 200: { $ref: 'Redemption#' }, ...errors(400, 401, 403, 404, 503) },
        },
      },
      async (request) => {
        const outcome = await ops().release(
          request.params.tenant,
          redemptionNumberOf(request.params.redemptionId)!,
          request.body.reason,
        );
        return outcome.redemption;
      },
    );
  });
  return app;
}
