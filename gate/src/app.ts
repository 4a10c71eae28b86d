import Fastify, { LogController, type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import underPressure from '@fastify/under-pressure';
import type { RedisClient } from './redis/client.js';
import type { Logger } from 'pino';
import { ErrorCode, openApiComponentName } from '@rediclaim/core';
import type { GateMetrics } from './metrics.js';
import type { WaitingRoom } from './queue/waiting-room.js';
import type { TicketSigner } from './queue/tickets.js';
import type { PowGuard } from './pow/pow-guard.js';
import type { Identity } from './http/identity.js';
import type { PushDeps } from './http/push-api.js';
import { installErrorHandling } from './http/errors.js';
import { healthRoutes, type HealthOptions } from './http/health.js';
import { REQUEST_ID_HEADER, echoRequestId, requestIdOf } from './http/request-id.js';
import { publicApi } from './http/public-api.js';
import { shopperSecuritySchemes } from './http/openapi-security.js';
import { adminApi } from './http/admin-api.js';
import { waitingRoomPage } from './http/page.js';
import { errorJson, joinJson, statusJson } from './http/schemas.js';

export interface AppOptions {
  /** fastify's trustProxy: none, a hop count, or the proxies' addresses. */
  trustProxy: false | number | string[];
  /** Joins per client (IP) per window; 0 disables the limit. */
  joinRateLimitMax: number;
  joinRateLimitWindowMs: number;
  /** Status reads per client (IP) per window; 0 disables the limit. */
  pollRateLimitMax: number;
  pollRateLimitWindowMs: number;
  /** Where the limits count: every replica's Redis, or this process only (absent). */
  rateLimitRedis?: { redis: RedisClient; namespace: string };
  /** Load shedding thresholds (0 disables each). */
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
  maxRssBytes: number;
  retryAfterSeconds: number;
  /** Bearer token of the admin API (optional). */
  adminToken?: string;
  /** Origins whose pages may call the public API from a browser (CORS); absent: none. */
  corsOrigins?: string[] | '*';
}

export interface DrainState {
  /** True while the gate drains before it stops: every answer then closes its connection. */
  draining: () => boolean;
}

export interface AppDeps {
  room: WaitingRoom;
  identity: Identity;
  tickets: TicketSigner;
  pow: PowGuard;
  metrics: GateMetrics;
  logger: Logger;
  health: HealthOptions;
  drain: DrainState;
  options: AppOptions;
  /** The push streams, when GATE_PUSH_ENABLED; the clock their schedule phases follow. */
  push?: PushDeps;
}

const ajv = {
  // Unknown parameters are refused, not silently dropped; numbers in queries are coerced.
  customOptions: {
    removeAdditional: false as const,
    coerceTypes: 'array' as const,
    allErrors: false,
  },
};

function baseServer(
  logger: Logger | undefined,
  trustProxy: AppOptions['trustProxy'],
): FastifyInstance {
  const app = Fastify({
    // The public server gets no logger: fastify would then build (and, with a custom
    // factory, validate) a child logger for every request. Its errors are logged by the
    // error handler with the gate's logger; nothing is logged per request anyway.
    ...(logger
      ? {
          loggerInstance: logger,
          logController: new LogController({ disableRequestLogging: true }),
        }
      : {}),
    // A hop count trusts that many proxies nearest the gate (fastify's integer rule,
    // which its types only take as a function).
    trustProxy:
      typeof trustProxy === 'number'
        ? (_address: string, hop: number) => hop < trustProxy
        : trustProxy,
    bodyLimit: 16 * 1024,
    requestTimeout: 15_000,
    keepAliveTimeout: 65_000,
    // A request on a kept-alive connection during close is still answered: after the
    // drain (see closeWhileDraining) only connections idle for all of it remain.
    return503OnClosing: false,
    // The caller's x-request-id when sane, else a UUID: in the answer (echoRequestId)
    // and in every log line of the request.
    requestIdHeader: false,
    genReqId: requestIdOf,
    ajv,
  });
  echoRequestId(app as unknown as FastifyInstance);
  return app as unknown as FastifyInstance;
}

/**
 * While the gate drains (SHUTDOWN_DRAIN_MS after SIGTERM), every answer carries
 * `Connection: close`: a client with a kept-alive connection to this replica opens its
 * next one through the Service, which no longer routes to it. Nobody sees an error.
 */
function closeWhileDraining(app: FastifyInstance, drain: DrainState): void {
  app.addHook('onRequest', (_request, reply, done) => {
    if (drain.draining()) reply.header('connection', 'close');
    done();
  });
}

function observeLatency(app: FastifyInstance, metrics: GateMetrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    // A push stream's "response time" is how long the shopper stayed: not a latency.
    // Its refusals (before the stream) are answers like any other.
    if (request.routeOptions.config.stream && reply.statusCode === 200) return done();
    metrics.httpDuration.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
}

/**
 * The public server (GATE_PORT): the shoppers' APIs, health, and the OpenAPI document.
 * Tests drive it with app.inject() or listen on a port; main.ts only listens.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { metrics, options } = deps;
  const app = baseServer(undefined, options.trustProxy);
  installErrorHandling(
    app,
    { queueFullSeconds: options.retryAfterSeconds, unavailableSeconds: 1 },
    deps.logger,
  );
  observeLatency(app, metrics);
  closeWhileDraining(app, deps.drain);
  if (options.corsOrigins) {
    // A shop's web app on another origin calls the waiting room from the browser.
    await app.register(cors, {
      origin: options.corsOrigins === '*' ? '*' : options.corsOrigins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'authorization', REQUEST_ID_HEADER],
      exposedHeaders: ['retry-after', REQUEST_ID_HEADER],
      maxAge: 600,
    });
  }
  app.addSchema(errorJson);
  app.addSchema(statusJson);
  app.addSchema(joinJson);

  const security = shopperSecuritySchemes(deps.identity.mode, deps.identity.header);
  await app.register(swagger, {
    refResolver: {
      buildLocalReference: (json, _uri, _fragment, i) => openApiComponentName(json, i),
    },
    openapi: {
      openapi: '3.1.0',
      components: { securitySchemes: security.schemes },
      info: {
        title: 'rediclaim gate',
        description:
          'The waiting room in front of the coupon issuer: join, poll your place, learn your outcome.',
        version: '1',
      },
      tags: [
        { name: 'v1', description: 'The waiting-room API.' },
        { name: 'seed', description: "The seed's API, kept for its clients." },
        { name: 'health', description: 'Probes.' },
      ],
    },
  });

  await app.register(healthRoutes, deps.health);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(waitingRoomPage, { identityMode: deps.identity.mode });

  // Shoppers' routes are shed under overload; probes and the document are not.
  await app.register(async (shoppers) => {
    await shoppers.register(underPressure, {
      maxEventLoopDelay: options.maxEventLoopDelayMs,
      maxHeapUsedBytes: options.maxHeapUsedBytes,
      maxRssBytes: options.maxRssBytes,
      retryAfter: options.retryAfterSeconds,
      pressureHandler: (_request, reply, type) => {
        metrics.shed.inc({ cause: type });
        reply
          .code(503)
          .header('retry-after', String(options.retryAfterSeconds))
          .send({
            code: ErrorCode.Overloaded,
            message: `the gate is overloaded (${type}); retry in ${options.retryAfterSeconds} s`,
          });
      },
    });
    const limited = options.joinRateLimitMax > 0 || options.pollRateLimitMax > 0;
    if (limited)
      await shoppers.register(rateLimit, {
        global: false,
        // Counted in Redis, every replica's requests together: a client cannot multiply
        // its budget by the replicas behind the load balancer. If Redis does not answer,
        // the limiter lets the request through to the answer Redis' absence gives anyway.
        ...(options.rateLimitRedis
          ? {
              redis: options.rateLimitRedis.redis,
              nameSpace: options.rateLimitRedis.namespace,
              skipOnError: true,
            }
          : {}),
        // Rate headers only on a refusal: three headers on every join cost real time.
        addHeadersOnExceeding: {
          'x-ratelimit-limit': false,
          'x-ratelimit-remaining': false,
          'x-ratelimit-reset': false,
        },
      });
    await shoppers.register(publicApi, {
      room: deps.room,
      identity: deps.identity,
      tickets: deps.tickets,
      pow: deps.pow,
      metrics,
      ...(deps.push ? { push: deps.push } : {}),
      ...(options.pollRateLimitMax > 0
        ? {
            pollRateLimit: {
              max: options.pollRateLimitMax,
              timeWindow: options.pollRateLimitWindowMs,
            },
          }
        : {}),
      ...(options.joinRateLimitMax > 0
        ? {
            joinRateLimit: {
              max: options.joinRateLimitMax,
              timeWindow: options.joinRateLimitWindowMs,
            },
          }
        : {}),
    });
  });
  return app;
}

/** The admin server (GATE_ADMIN_PORT): /metrics, probes, and the operator's internal API. */
export async function buildAdminApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = baseServer(deps.logger, false);
  installErrorHandling(app, { queueFullSeconds: 1, unavailableSeconds: 1 }, deps.logger);
  app.addSchema(errorJson);
  await app.register(healthRoutes, deps.health);
  await app.register(adminApi, {
    room: deps.room,
    metrics: deps.metrics,
    ...(deps.options.adminToken ? { token: deps.options.adminToken } : {}),
  });
  return app;
}
