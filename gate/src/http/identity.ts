import { createVerifier } from 'fast-jwt';
import type { FastifyRequest } from 'fastify';
import { ErrorCode, RediclaimError, check, userIdSchema } from '@rediclaim/core';

export type IdentityMode = 'query' | 'header' | 'jwt';

export interface IdentityOptions {
  mode: IdentityMode;
  header: string;
  jwtSecret?: string;
  jwtPublicKey?: string;
  jwtAlgorithms?: string[];
  jwtIssuer?: string;
  jwtAudience?: string;
}

/**
 * Who the shopper is: the `userId` query parameter (the seed's API), a header set by a
 * trusted proxy, or the subject of a verified JWT. In header and JWT modes a `userId`
 * in the query must match the identity (the seed's clients send it; nobody may use it
 * to act as someone else).
 */
export class Identity {
  readonly mode: IdentityMode;
  private readonly header: string;
  private readonly verify: ((token: string) => unknown) | undefined;

  constructor(options: IdentityOptions) {
    this.mode = options.mode;
    this.header = options.header.toLowerCase();
    if (options.mode === 'jwt') {
      this.verify = createVerifier({
        key: options.jwtSecret ?? options.jwtPublicKey!,
        ...(options.jwtAlgorithms ? { algorithms: options.jwtAlgorithms as never } : {}),
        ...(options.jwtIssuer ? { allowedIss: options.jwtIssuer } : {}),
        ...(options.jwtAudience ? { allowedAud: options.jwtAudience } : {}),
        requiredClaims: ['sub'],
        cache: 10_000,
      });
    }
  }

  /** Whether routes must require ?userId= (query mode). */
  get queryRequired(): boolean {
    return this.mode === 'query';
  }

  /** The shopper's id, validated; UNAUTHENTICATED or VALIDATION_FAILED otherwise. */
  resolve(request: FastifyRequest, queryUserId: string | undefined): string {
    if (this.mode === 'query') {
      if (queryUserId === undefined)
        throw new RediclaimError(ErrorCode.ValidationFailed, 'querystring.userId: is required');
      return queryUserId;
    }
    let userId: string;
    let source: string;
    if (this.mode === 'header') {
      const value = request.headers[this.header];
      if (value === undefined || value === '')
        throw new RediclaimError(
          ErrorCode.Unauthenticated,
          `the request carries no ${this.header} header`,
        );
      if (Array.isArray(value))
        throw new RediclaimError(
          ErrorCode.ValidationFailed,
          `headers.${this.header}: must be sent once`,
        );
      userId = value;
      source = `headers.${this.header}`;
    } else {
      const auth = request.headers.authorization;
      if (!auth || !/^Bearer\s+\S+$/i.test(auth))
        throw new RediclaimError(
          ErrorCode.Unauthenticated,
          'the request carries no bearer token (Authorization: Bearer <JWT>)',
        );
      let payload: { sub?: unknown };
      try {
        payload = this.verify!(auth.replace(/^Bearer\s+/i, '')) as { sub?: unknown };
      } catch (error) {
        throw new RediclaimError(
          ErrorCode.Unauthenticated,
          `the bearer token was refused: ${(error as Error).message}`,
        );
      }
      if (typeof payload.sub !== 'string')
        throw new RediclaimError(ErrorCode.Unauthenticated, 'the token has no string subject');
      userId = payload.sub;
      source = 'token.sub';
    }
    const result = check(userIdSchema, userId);
    if (!result.ok)
      throw new RediclaimError(
        ErrorCode.ValidationFailed,
        `${source}: ${result.problems[0]!.message}`,
      );
    if (queryUserId !== undefined && queryUserId !== userId)
      throw new RediclaimError(
        ErrorCode.ValidationFailed,
        'querystring.userId: does not match the authenticated shopper',
      );
    return userId;
  }
}
