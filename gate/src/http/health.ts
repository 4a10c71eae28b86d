import type { FastifyPluginAsync } from 'fastify';

export interface CheckResult {
  ok: boolean;
  message?: string;
  /** Shown, but not deciding readiness: the gate answers shoppers without it (Kafka). */
  informational?: boolean;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

export interface HealthOptions {
  /** Whether the process is able to work at all (nothing outside it, Kafka included, fails it). */
  live: () => boolean;
  ready: () => Promise<ReadinessReport>;
}

const checkJson = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    message: { type: 'string' },
    informational: { type: 'boolean' },
  },
} as const;
const readyJson = {
  type: 'object',
  properties: {
    ready: { type: 'boolean' },
    checks: { type: 'object', additionalProperties: checkJson },
  },
} as const;

/** Ready when every check that is not informational passed. */
export function readinessOf(checks: Record<string, CheckResult>): ReadinessReport {
  return { ready: Object.values(checks).every((c) => c.ok || c.informational), checks };
}

/** Runs `probe` within `ms`: its failure, or its silence, is the check's message. */
export async function timedCheck(
  what: string,
  probe: () => Promise<unknown>,
  ms: number,
): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * /healthz (the process works) and /readyz (what answering shoppers needs: Redis, a
 * config, not shutting down; Kafka's state is shown, informational).
 */
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
        summary: 'Readiness: Redis reachable, config loaded (Kafka shown, not required)',
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
