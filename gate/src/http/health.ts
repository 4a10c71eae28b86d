import type { FastifyPluginAsync } from 'fastify';

export interface CheckResult {
  ok: boolean;
  message?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

export interface HealthOptions {
  /** Whether the process is able to work at all (it exits otherwise). */
  live: () => boolean;
  ready: () => Promise<ReadinessReport>;
}

const checkJson = {
  type: 'object',
  properties: { ok: { type: 'boolean' }, message: { type: 'string' } },
} as const;
const readyJson = {
  type: 'object',
  properties: {
    ready: { type: 'boolean' },
    checks: { type: 'object', additionalProperties: checkJson },
  },
} as const;

/** /healthz (the process works) and /readyz (Redis, Kafka and config usable; not shutting down). */
export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, options) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['health'],
        summary: 'Liveness',
        response: {
          200: { type: 'object', properties: { status: { type: 'string' } } },
          503: { type: 'object', properties: { status: { type: 'string' } } },
        },
      },
    },
    async (_request, reply) => {
      const live = options.live();
      reply.code(live ? 200 : 503);
      return { status: live ? 'ok' : 'failing' };
    },
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: ['health'],
        summary: 'Readiness: Redis and Kafka reachable, config loaded',
        response: { 200: readyJson, 503: readyJson },
      },
    },
    async (_request, reply) => {
      const report = await options.ready();
      reply.code(report.ready ? 200 : 503);
      return report;
    },
  );
};
