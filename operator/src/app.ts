import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** What `/healthz` reports. */
export interface Health {
  ok: boolean;
  problems: string[];
}

export interface AppOptions {
  registry: Registry;
  health(): Health;
  ready(): boolean;
}

/**
 * The admin endpoints (OPERATOR_ADMIN_PORT): `/healthz` (alive and not wedged),
 * `/readyz` (the CouponEvent cache is synced: followers are ready too, so a rollout
 * never waits for leadership) and `/metrics`.
 */
export function buildApp(options: AppOptions): FastifyInstance {
  // Probes and scrapes every few seconds are not worth a log line each.
  const app = Fastify({ logger: false });
  app.get('/healthz', async (_request, reply) => {
    const health = options.health();
    return reply
      .code(health.ok ? 200 : 503)
      .send(health.ok ? { status: 'ok' } : { status: 'unhealthy', problems: health.problems });
  });
  app.get('/readyz', async (_request, reply) => {
    const ready = options.ready();
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'waiting for the CouponEvent cache to sync' });
  });
  app.get('/metrics', async (_request, reply) => {
    const body = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(body);
  });
  return app;
}
