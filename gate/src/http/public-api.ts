import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { ErrorCode, RediclaimError, UserStatus, isRediclaimError } from '@rediclaim/core';
import type { GateMetrics, RateLimitedRoute } from '../metrics.js';
import type { LiveEvent } from '../config/live-event.js';
import type { WaitingRoom } from '../queue/waiting-room.js';
import type { TicketSigner } from '../queue/tickets.js';
import { PowGuard } from '../pow/pow-guard.js';
import { POW_HEADER } from '../pow/solution-header.js';
import { shopperSecuritySchemes } from './openapi-security.js';
import type { JoinResult } from '../queue/views.js';
import { StatusReader } from './status-reader.js';
import { pushApi, type PushDeps } from './push-api.js';
import { clientKeyOf } from './client-key.js';
import type { Identity } from './identity.js';
import {
  errorResponses,
  eventInfoJson,
  eventParams,
  identityQuery,
  joinJson,
  powChallengeJson,
  powSolutionHeaders,
  seedEnqueueJson,
  seedRankJson,
  statusJson,
} from './schemas.js';

export interface PublicApiOptions {
  room: WaitingRoom;
  identity: Identity;
  tickets: TicketSigner;
  /** Proof of work on join, for the events whose spec asks for it. */
  pow: PowGuard;
  metrics: GateMetrics;
  /** Per-client limit on joins; undefined disables it. */
  joinRateLimit?: { max: number; timeWindow: number };
  /** Per-client limit on status reads; undefined disables it. */
  pollRateLimit?: { max: number; timeWindow: number };
  /** The push streams (GATE_PUSH_ENABLED), and the clock their schedule phases follow. */
  push?: PushDeps;
}

interface EventParams {
  eventId: string;
}
interface IdentityQuery {
  userId?: string;
}

/**
 * The shoppers' API: the seed's two routes, kept byte-compatible for its clients, and
 * the versioned /v1 API with what a waiting room's users expect (people ahead, ETA,
 * a signed ticket to resume, the outcome with its coupon).
 */
export const publicApi: FastifyPluginAsync<PublicApiOptions> = async (app, options) => {
  const { room, identity, tickets, metrics, pow } = options;
  // The OpenAPI document's word for how these routes identify the shopper.
  const security = shopperSecuritySchemes(identity.mode, identity.header);
  const shopper = security.identified;
  // One limiter for both join routes (a client has one budget of joins, whichever API)
  // and one for both status routes, each counted under its own key.
  const limiter = (
    kind: RateLimitedRoute,
    limit: { max: number; timeWindow: number } | undefined,
  ) => {
    if (!limit) return {};
    metrics.limitRoute(kind);
    return {
      onRequest: app.rateLimit({
        ...limit,
        keyGenerator: (r) => `${kind}:${clientKeyOf(r)}`,
        onExceeded: () => metrics.countRateLimited(kind),
      }),
    };
  };
  const rateLimit = limiter('join', options.joinRateLimit);
  const pollLimit = limiter('poll', options.pollRateLimit);
  const eventOf = async (eventId: string): Promise<LiveEvent> => {
    const event = room.event(eventId);
    if (!event) throw await room.refuseUnknown(eventId);
    return event;
  };
  const join = async (
    eventId: string,
    userId: string,
    solution: string | string[] | undefined,
  ): Promise<JoinResult> => {
    // Unknown: the id is the caller's, counted under the bounded UNKNOWN_EVENT labels.
    const event = room.event(eventId);
    try {
      if (!event) throw await room.refuseUnknown(eventId);
      // Before the queue is touched: a refused proof of work changes nothing.
      await pow.admit(event, solution);
      const result = await room.join(event, userId);
      metrics.countJoin(event, result.answer);
      return result;
    } catch (error) {
      if (isRediclaimError(error)) metrics.countJoin(event, error.code);
      throw error;
    }
  };
  const reader = new StatusReader(room, identity, tickets);

  // --- The seed's API ------------------------------------------------------------
  app.post<{ Params: EventParams; Querystring: IdentityQuery }>(
    '/gate/events/:eventId/enqueue',
    {
      ...rateLimit,
      schema: {
        tags: ['seed'],
        summary: 'Join the queue (seed API)',
        description:
          'Events with proof of work need the X-Pow-Solution header here too (the seed clients cannot solve: 428 POW_REQUIRED); see the v1 join.',
        security: shopper,
        params: eventParams,
        headers: powSolutionHeaders,
        querystring: identityQuery(identity.queryRequired),
        response: { 200: seedEnqueueJson, ...errorResponses },
      },
    },
    async (request) => {
      const userId = identity.resolve(request, request.query.userId);
      try {
        const { answer, view } = await join(
          request.params.eventId,
          userId,
          request.headers[POW_HEADER],
        );
        return { status: answer, rank: view.status === UserStatus.Waiting ? view.rank : null };
      } catch (error) {
        // The seed's clients (its k6 test among them) count any status but 200 as a
        // failed request; a sale that sold out is an answer, not a failure. v1 keeps 409.
        if (isRediclaimError(error, ErrorCode.SoldOut))
          return { status: UserStatus.SoldOut, rank: null };
        throw error;
      }
    },
  );

  app.get<{ Params: EventParams; Querystring: IdentityQuery }>(
    '/gate/events/:eventId/rank',
    {
      ...pollLimit,
      schema: {
        tags: ['seed'],
        summary: 'Where the shopper stands (seed API)',
        security: shopper,
        params: eventParams,
        querystring: identityQuery(identity.queryRequired),
        response: { 200: seedRankJson, ...errorResponses },
      },
    },
    async (request) => {
      const userId = identity.resolve(request, request.query.userId);
      const view = await room.status(request.params.eventId, userId);
      return {
        status: view.status,
        rank: view.status === UserStatus.Waiting ? view.rank : null,
        ...(view.coupon ? { couponCode: view.coupon.code } : {}),
        ...(view.redemption ? { couponState: view.redemption.state } : {}),
        ...(view.redemption?.since ? { couponStateSince: view.redemption.since } : {}),
        ...(view.reason ? { reason: view.reason } : {}),
      };
    },
  );

  // --- v1 --------------------------------------------------------------------------
  app.post<{ Params: EventParams; Querystring: IdentityQuery; Body: Record<string, never> }>(
    '/v1/events/:eventId/queue',
    {
      ...rateLimit,
      // The body is optional: no body validates as {}.
      preValidation: async (request) => {
        if (request.body === undefined || request.body === null) request.body = {};
      },
      schema: {
        tags: ['v1'],
        summary: 'Join the queue',
        security: shopper,
        description:
          'Idempotent: one place per shopper per event. 201 when the shopper joined now, 200 when they already hold a place (or were admitted). Refusals: EVENT_NOT_OPEN, EVENT_CLOSED, SOLD_OUT, ALREADY_ISSUED (409), QUEUE_FULL (503 + Retry-After), UNKNOWN_EVENT (404). An event with proof of work (its info says proofOfWork: true) needs a solved challenge of GET /v1/events/{eventId}/challenge in X-Pow-Solution, spent by this join whatever it answers: POW_REQUIRED (428), POW_INVALID, POW_REPLAYED (403).',
        params: eventParams,
        headers: powSolutionHeaders,
        querystring: identityQuery(identity.queryRequired),
        body: {
          type: 'object',
          description: 'Optional; no fields are defined yet.',
          properties: {},
          additionalProperties: false,
        },
        response: { 200: joinJson, 201: joinJson, ...errorResponses },
      },
    },
    async (request, reply) => {
      const userId = identity.resolve(request, request.query.userId);
      const { answer, view } = await join(
        request.params.eventId,
        userId,
        request.headers[POW_HEADER],
      );
      reply.code(answer === 'ENQUEUED' ? 201 : 200);
      return {
        joined: answer,
        ...reader.v1View(view),
        ticket: reader.signed(room.event(request.params.eventId), userId, view),
      };
    },
  );

  app.get<{ Params: EventParams; Querystring: IdentityQuery & { ticket?: string } }>(
    '/v1/events/:eventId/queue/me',
    {
      ...pollLimit,
      schema: {
        tags: ['v1'],
        summary: "The shopper's status",
        security: security.identifiedOrTicket,
        description:
          'Identify with the configured identity, or with the signed ticket from the join (?ticket=) to resume after a reload.',
        params: eventParams,
        querystring: identityQuery(false, {
          ticket: { type: 'string', minLength: 10, maxLength: 1024 },
        }),
        response: { 200: statusJson, ...errorResponses },
      },
    },
    async (request) => {
      const { eventId } = request.params;
      return reader.body(eventId, await reader.shopperOf(request, eventId, request.query));
    },
  );

  app.get<{ Params: EventParams }>(
    '/v1/events/:eventId/challenge',
    {
      ...pollLimit,
      schema: {
        tags: ['v1'],
        summary: 'A proof-of-work challenge to solve before joining',
        description:
          "For events with proof of work (their info says proofOfWork: true): solve it (altcha-lib solveChallenge, or the page's worker) and send the solution in the X-Pow-Solution header of one join before expiresAt. Stateless: any gate replica verifies it. The difficulty rises during a join spike. An event without proof of work: 404 NOT_FOUND.",
        security: [],
        params: eventParams,
        response: { 200: powChallengeJson, ...errorResponses },
      },
    },
    async (request, reply) => {
      const event = await eventOf(request.params.eventId);
      if (!PowGuard.required(event))
        throw new RediclaimError(
          ErrorCode.NotFound,
          `event ${event.id} asks for no proof of work: join without one`,
        );
      reply.header('cache-control', 'no-store');
      return pow.challenge(event);
    },
  );

  app.get<{ Params: EventParams }>(
    '/v1/events/:eventId',
    {
      schema: {
        tags: ['v1'],
        summary: 'The event: schedule, phase, discount and live counts',
        security: [],
        params: eventParams,
        response: { 200: eventInfoJson, ...errorResponses },
      },
    },
    async (request) => room.info(await eventOf(request.params.eventId)),
  );

  if (options.push)
    await app.register(pushApi, {
      ...options.push,
      room,
      reader,
      metrics,
      security: security.identifiedOrTicket,
      ...pollLimit,
    });
};

export type { FastifyInstance };
