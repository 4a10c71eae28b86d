import Fastify, { type FastifyInstance } from 'fastify';
import type { IssuerMetrics } from '../metrics.js';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export interface AdminAppOptions {
  metrics: IssuerMetrics;
  /**
   * Asked on every /readyz: the database answers and the consumer is in its group. A
   * database outage makes the issuer not ready but keeps it live (/healthz): it waits
   * for the database and resumes by itself, where a restart would gain nothing.
   */
  readiness(): Promise<ReadinessReport>;
}

/**
 * The admin endpoints: /healthz (the process serves requests), /readyz (it can issue:
 * the database answers and the consumer has joined its group), /metrics (Prometheus).
 */
export function buildApp(options: AdminAppOptions): FastifyInstance {
  const app = Fastify({ logger: false });

  app.get(
    '/healthz',
    {
      schema: {
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
    },
    async () => ({ status: 'ok' }),
  );

  const check = {
    type: 'object',
    properties: { ok: { type: 'boolean' }, detail: { type: 'string' } },
  };
  const readiness = {
    type: 'object',
    properties: {
      ready: { type: 'boolean' },
      checks: { type: 'object', additionalProperties: check },
    },
  };
  app.get(
    '/readyz',
    { schema: { response: { 200: readiness, 503: readiness } } },
    async (_request, reply) => {
      const report = await options.readiness();
      return reply.code(report.ready ? 200 : 503).send(report);
    },
  );

  app.get('/metrics', async (_request, reply) => {
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });

  return app;
}
