import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import {
  ErrorCode,
  RediclaimError,
  check,
  eventIdSchema,
  isRediclaimError,
  tenantSchema,
  userIdSchema,
} from '@rediclaim/core';

/** HTTP status of each error code: refusals are 4xx, capacity problems 503 with Retry-After. */
export const httpStatusOf: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  INVALID_TICKET: 401,
  UNKNOWN_EVENT: 404,
  NOT_FOUND: 404,
  EVENT_NOT_OPEN: 409,
  EVENT_CLOSED: 409,
  SOLD_OUT: 409,
  ALREADY_ISSUED: 409,
  NOT_IN_QUEUE: 409,
  RATE_LIMITED: 429,
  QUEUE_FULL: 503,
  OVERLOADED: 503,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  INVALID_MESSAGE: 400,
  UNSUPPORTED_MESSAGE_VERSION: 400,
  INVALID_SIGNATURE: 400,
  INVALID_CONFIG: 500,
  STOCK_BELOW_ISSUED: 409,
  EVENT_ID_CONFLICT: 409,
};

/** Seconds a client should wait before retrying, for the 503s. */
export interface RetryPolicy {
  queueFullSeconds: number;
  unavailableSeconds: number;
}

// Core's messages for the identifiers, so a bad userId reads the same everywhere.
const fieldSchemas: Record<string, Parameters<typeof check>[0]> = {
  userId: userIdSchema,
  eventId: eventIdSchema,
  tenant: tenantSchema,
};

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "querystring.userId: may contain only letters, ..." from fastify's (ajv's) errors. */
export function describeValidation(
  errors: readonly AjvError[],
  context: string | undefined,
  input: unknown,
): string {
  return errors
    .map((e) => {
      const field =
        e.keyword === 'required'
          ? String(e.params.missingProperty)
          : e.keyword === 'additionalProperties'
            ? String(e.params.additionalProperty)
            : e.instancePath.replace(/^\//, '').replace(/\//g, '.');
      const where = [context, field].filter(Boolean).join('.');
      let message = e.message ?? 'is invalid';
      if (e.keyword === 'required') message = 'is required';
      else if (e.keyword === 'additionalProperties') message = 'is not a known parameter';
      else if (field in fieldSchemas) {
        const value = (input as Record<string, unknown> | undefined)?.[field];
        const result = check(fieldSchemas[field]!, value);
        if (!result.ok) message = result.problems[0]!.message;
      }
      return `${where}: ${message}`;
    })
    .join('; ');
}

function isRedisFailure(error: Error): boolean {
  const name = error.name;
  return (
    name === 'MaxRetriesPerRequestError' ||
    /Command timed out|Connection is closed|ECONNREFUSED|ECONNRESET|Stream isn't writeable/.test(
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
