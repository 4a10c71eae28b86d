import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import {
  ErrorCode,
  RediclaimError,
  describeValidation,
  httpStatusOf,
  isRediclaimError,
  type AjvError,
} from '@rediclaim/core';

/** mysql2's codes for a database that cannot answer now (a retry later may succeed). */
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
]);

const RETRY_AFTER_SECONDS = 1;

export function sendError(reply: FastifyReply, error: RediclaimError): FastifyReply {
  reply.code(httpStatusOf[error.code] ?? 500);
  if (error.code === ErrorCode.Unavailable)
    reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  return reply.send(error.toJSON());
}

/**
 * One error shape on every route, `{ code, message[, details] }` with core's codes (as
 * on the gate): refusals keep their code; validation errors become VALIDATION_FAILED in
 * words; a database that cannot answer is 503 UNAVAILABLE with Retry-After (nothing
 * was changed: each operation is one transaction); anything else is 500 INTERNAL,
 * logged, with nothing internal in the body.
 */
export function installApiErrors(app: FastifyInstance, logger: Pick<Logger, 'warn' | 'error'>) {
  app.setErrorHandler((error: FastifyError | RediclaimError, request, reply) => {
    if (isRediclaimError(error)) return sendError(reply, error);
    const fe = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
    if (fe.validation) {
      const input =
        fe.validationContext === 'body'
          ? request.body
          : fe.validationContext === 'querystring'
            ? request.query
            : fe.validationContext === 'params'
              ? request.params
              : request.headers;
      return sendError(
        reply,
        new RediclaimError(
          ErrorCode.ValidationFailed,
          describeValidation(fe.validation, fe.validationContext, input),
        ),
      );
    }
    if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
      reply.code(fe.statusCode);
      return reply.send({ code: ErrorCode.ValidationFailed, message: fe.message });
    }
    if (UNAVAILABLE.has(String(fe.code)) || (fe as { fatal?: boolean }).fatal === true) {
      logger.warn({ err: fe, url: request.url }, 'the database did not answer');
      return sendError(
        reply,
        new RediclaimError(ErrorCode.Unavailable, 'the database is not answering; try again'),
      );
    }
    logger.error({ err: fe, method: request.method, url: request.url }, 'request failed');
    reply.code(500);
    return reply.send({ code: ErrorCode.Internal, message: 'the issuer failed to answer' });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404);
    return reply.send({
      code: ErrorCode.NotFound,
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    });
  });
}
