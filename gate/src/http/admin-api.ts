import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { ErrorCode, GATE_ADMIN_PREFIX, RediclaimError } from '@rediclaim/core';
import type { GateMetrics } from '../metrics.js';
import type { WaitingRoom } from '../queue/waiting-room.js';
import { adminEventParams, errorResponses, statsJson } from './schemas.js';

export interface AdminApiOptions {
  room: WaitingRoom;
  metrics: GateMetrics;
  /** When set, /internal routes need `Authorization: Bearer <token>`. */
  token?: string;
}

interface AdminParams {
  tenant: string;
  eventId: string;
}

/**
 * The admin port: Prometheus /metrics and the internal API the operator uses (stats
 * for CouponEvent status, DELETE to clean up an event's data).
 */
export const adminApi: FastifyPluginAsync<AdminApiOptions> = async (app, options) => {
  const { room, metrics } = options;
  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined;

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.register(async (internal) => {
    if (expected) {
      internal.addHook('onRequest', async (request) => {
        const given = Buffer.from(request.headers.authorization ?? '');
        if (given.length !== expected.length || !timingSafeEqual(given, expected))
          throw new RediclaimError(ErrorCode.Unauthenticated, 'the admin API needs its token');
      });
    }

    internal.get<{ Params: AdminParams }>(
      `${GATE_ADMIN_PREFIX}/:tenant/:eventId/stats`,
      {
        schema: {
          tags: ['internal'],
          summary: "One event's live counts",
          params: adminEventParams,
          response: { 200: statsJson, ...errorResponses },
        },
      },
      async (request) => room.stats(request.params.tenant, request.params.eventId),
    );

    internal.delete<{ Params: AdminParams; Querystring: { uid?: string } }>(
      `${GATE_ADMIN_PREFIX}/:tenant/:eventId`,
      {
        schema: {
          tags: ['internal'],
          summary:
            'Retire a deleted sale: its queue goes, its outcomes stay readable for the retention, a tombstone tells late pollers (EVENT_CLOSED / EVENT_DELETED)',
          params: adminEventParams,
          querystring: {
            type: 'object',
            properties: {
              uid: {
                type: 'string',
                maxLength: 64,
                description:
                  'The deleted CouponEvent uid: a new event re-created under the same id is not closed by this tombstone.',
              },
            },
            additionalProperties: false,
          },
          response: { 204: { type: 'null' }, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { tenant, eventId } = request.params;
        const removed = await room.retire(tenant, eventId, request.query.uid);
        request.log.info({ tenant, eventId, removed }, 'sale retired');
        reply.code(204);
        return null;
      },
    );
  });
};
