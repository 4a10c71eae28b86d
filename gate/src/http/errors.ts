import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import {
  ErrorCode,
  RediclaimError,
  describeValidation,
  httpStatusOf,
  isRediclaimError,
  type AjvError,
} from '@rediclaim/core';

/** Seconds a client should wait before retrying, for the 503s. */
export interface RetryPolicy {
  queueFullSeconds: number;
  unavailableSeconds: number;
}

/**
 * Redis away, or a Redis Cluster in a failover: a master gone until its replica takes
 * over (CLUSTERDOWN, TRYAGAIN, a MOVED that ioredis' redirections did not settle, no
 * node answering the slots refresh). Each is a 503 with Retry-After, never a 500.
 */
export function isRedisFailure(error: Error): boolean {
  const name = error.name;
  return (
    name === 'MaxRetriesPerRequestError' ||
    name === 'ClusterAllFailedError' ||
    /Command timed out|Connection is closed|ECONNREFUSED|ECONNRESET|Stream isn't writeable/.test(
      error.message,
    ) ||
    /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK|LOADING|MASTERDOWN|READONLY) /.test(error.message) ||
    /Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available|Cluster isn't ready/.test(
      error.message,
    )
  );
}

/**
 * One error shape for every route: `{ code, message[, details] }` with core's codes.
 * Expected refusals (RediclaimError) keep their code; fastify's validation and body
 * errors become VALIDATION_FAILED; a store that cannot answer is 503 UNAVAILABLE with
 * Retry-After; anything else is 500 INTERNAL, logged, with nothing internal in the body.
 */
export function installErrorHandling(
  app: FastifyInstance,
  retry: RetryPolicy,
  logger: Pick<Logger, 'warn' | 'error'>,
): void {
  app.setErrorHandler((error: FastifyError | RediclaimError, request, reply) => {
    if (isRediclaimError(error)) return sendError(reply, error, retry);
    const fe = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
    if (fe.validation) {
      const input =
        fe.validationContext === 'querystring'
          ? request.query
          : fe.validationContext === 'params'
            ? request.params
            : fe.validationContext === 'body'
              ? request.body
              : undefined;
      return sendError(
        reply,
        new RediclaimError(
          ErrorCode.ValidationFailed,
          describeValidation(fe.validation, fe.validationContext, input),
        ),
        retry,
      );
    }
    if (fe.statusCode === 429) {
      return sendError(
        reply,
        new RediclaimError(ErrorCode.RateLimited, fe.message || 'too many requests; slow down'),
        retry,
      );
    }
    if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
      // Body parsing, content type, payload size: the client's mistake, said plainly.
      reply.code(fe.statusCode);
      return reply.send({ code: ErrorCode.ValidationFailed, message: fe.message });
    }
    if (isRedisFailure(fe)) {
      logger.warn({ err: fe, url: request.url }, 'Redis did not answer');
      return sendError(
        reply,
        new RediclaimError(ErrorCode.Unavailable, 'the queue store is not answering; try again'),
        retry,
      );
    }
    logger.error({ err: fe, method: request.method, url: request.url }, 'request failed');
    reply.code(500);
    return reply.send({ code: ErrorCode.Internal, message: 'the gate failed to answer' });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404);
    return reply.send({
      code: ErrorCode.NotFound,
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    });
  });
}

export function sendError(
  reply: FastifyReply,
  error: RediclaimError,
  retry: RetryPolicy,
): FastifyReply {
  const status = httpStatusOf[error.code] ?? 500;
  reply.code(status);
  if (error.code === ErrorCode.QueueFull)
    reply.header('retry-after', String(retry.queueFullSeconds));
  else if (error.code === ErrorCode.Unavailable)
    reply.header('retry-after', String(retry.unavailableSeconds));
  return reply.send(error.toJSON());
}

export type { FastifyRequest };
