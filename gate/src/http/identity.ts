import { createPublicKey } from 'node:crypto';
import { createVerifier, type Algorithm } from 'fast-jwt';
import type { FastifyRequest } from 'fastify';
import { ErrorCode, RediclaimError, check, userIdSchema } from '@rediclaim/core';

export type IdentityMode = 'query' | 'header' | 'jwt';

export interface IdentityOptions {
  mode: IdentityMode;
  header: string;
  jwtSecret?: string;
  jwtPublicKey?: string;
  /** Pinned algorithms; default: HS256 with a secret, the key's own family with a public key. */
  jwtAlgorithms?: string[];
  jwtIssuer?: string;
  jwtAudience?: string;
  /** Leeway on exp and nbf, in seconds (default DEFAULT_JWT_CLOCK_SKEW_SECONDS). */
  jwtClockSkewSeconds?: number;
}

/** The settings Identity.fromSettings reads (GateSettings has them all). */
export interface IdentitySettings {
  IDENTITY_MODE: IdentityMode;
  IDENTITY_HEADER: string;
  JWT_SECRET?: string | undefined;
  JWT_PUBLIC_KEY?: string | undefined;
  JWT_ALGORITHMS?: string[] | undefined;
  JWT_ISSUER?: string | undefined;
  JWT_AUDIENCE?: string | undefined;
  JWT_CLOCK_SKEW_SECONDS?: number | undefined;
}

export const DEFAULT_JWT_CLOCK_SKEW_SECONDS = 30;

const HMAC_ALGORITHMS: readonly Algorithm[] = ['HS256', 'HS384', 'HS512'];
const RSA_ALGORITHMS: readonly Algorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};
/** Every algorithm a JWT_ALGORITHMS may name ('none' is not one). */
export const JWT_ALGORITHM_NAMES: readonly Algorithm[] = [
  ...HMAC_ALGORITHMS,
  ...RSA_ALGORITHMS,
  ...Object.values(EC_ALGORITHMS),
  'EdDSA',
];

/** A jwt mode setting that cannot work, with the variable it is in. */
export class JwtConfigError extends Error {
  constructor(
    readonly setting: 'JWT_PUBLIC_KEY' | 'JWT_ALGORITHMS',
    message: string,
  ) {
    super(message);
  }
}

/** The algorithms a PEM public key can verify: its own family, never an HMAC. */
function publicKeyFamily(pem: string): readonly Algorithm[] {
  // createPublicKey would derive the public half of a private key: refuse one outright.
  if (pem.includes('PRIVATE KEY-----'))
    throw new JwtConfigError('JWT_PUBLIC_KEY', 'must be a public key, not a private one');
  let key;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new JwtConfigError(
      'JWT_PUBLIC_KEY',
      `is not a usable PEM public key (${(error as Error).message})`,
    );
  }
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return RSA_ALGORITHMS;
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
      const alg = EC_ALGORITHMS[curve];
      if (!alg)
        throw new JwtConfigError(
          'JWT_PUBLIC_KEY',
          `has the EC curve ${curve || '(unnamed)'}, not P-256, P-384 or P-521`,
        );
      return [alg];
    }
    case 'ed25519':
    case 'ed448':
      return ['EdDSA'];
    default:
      throw new JwtConfigError(
        'JWT_PUBLIC_KEY',
        `is a ${key.asymmetricKeyType ?? 'unknown'} key, which JWTs are not signed with`,
      );
  }
}

/**
 * The algorithms jwt mode accepts, pinned: with a secret HS256 unless `algorithms` names
 * other HS* ones; with a public key the key's family (RS and PS for RSA, the curve's ES,
 * EdDSA), or the subset `algorithms` names. An HMAC algorithm with a public key is
 * refused: it would make the public key a secret anyone can sign with. Throws a
 * JwtConfigError naming the setting at fault.
 */
export function jwtAlgorithmsFor(options: {
  secret?: string | undefined;
  publicKey?: string | undefined;
  algorithms?: readonly string[] | undefined;
}): Algorithm[] {
  const allowed =
    options.publicKey !== undefined ? publicKeyFamily(options.publicKey) : HMAC_ALGORITHMS;
  if (!options.algorithms) return options.publicKey !== undefined ? [...allowed] : ['HS256'];
  const refused = options.algorithms.filter((a) => !allowed.includes(a as Algorithm));
  if (refused.length > 0)
    throw new JwtConfigError(
      'JWT_ALGORITHMS',
      `${refused.join(', ')} cannot be used with ${
        options.publicKey !== undefined ? 'this public key' : 'a JWT_SECRET'
      }: choose among ${allowed.join(', ')}`,
    );
  return options.algorithms as Algorithm[];
}

/**
 * Who the shopper is: the `userId` query parameter (the seed's API), a header set by a
 * trusted proxy, or the subject of a verified JWT. In header and JWT modes a `userId`
 * in the query must match the identity (the seed's clients send it; nobody may use it
 * to act as someone else).
 *
 * JWTs must carry `exp` (and `iss` / `aud` when JWT_ISSUER / JWT_AUDIENCE are set:
 * fast-jwt skips the check of an absent claim unless it is required), within a clock
 * skew of JWT_CLOCK_SKEW_SECONDS, signed with one of the pinned algorithms.
 */
export class Identity {
  readonly mode: IdentityMode;
  /** jwt mode: the algorithms tokens may be signed with. */
  readonly jwtAlgorithms: readonly Algorithm[] = [];
  /** header mode: the header the trusted proxy sets (lower case). */
  readonly header: string;
  private readonly verify: ((token: string) => unknown) | undefined;

  constructor(options: IdentityOptions) {
    this.mode = options.mode;
    this.header = options.header.toLowerCase();
    if (options.mode === 'jwt') {
      if ((options.jwtSecret === undefined) === (options.jwtPublicKey === undefined))
        throw new RediclaimError(
          ErrorCode.InvalidConfig,
          'jwt mode needs exactly one of a secret and a public key',
        );
      let algorithms: Algorithm[];
      try {
        algorithms = jwtAlgorithmsFor({
          secret: options.jwtSecret,
          publicKey: options.jwtPublicKey,
          algorithms: options.jwtAlgorithms,
        });
      } catch (error) {
        throw new RediclaimError(
          ErrorCode.InvalidConfig,
          error instanceof JwtConfigError ? `${error.setting}: ${error.message}` : String(error),
        );
      }
      this.jwtAlgorithms = algorithms;
      const skew = options.jwtClockSkewSeconds ?? DEFAULT_JWT_CLOCK_SKEW_SECONDS;
      this.verify = createVerifier({
        key: options.jwtSecret ?? options.jwtPublicKey!,
        algorithms,
        ...(options.jwtIssuer ? { allowedIss: options.jwtIssuer } : {}),
        ...(options.jwtAudience ? { allowedAud: options.jwtAudience } : {}),
        requiredClaims: [
          'sub',
          'exp',
          ...(options.jwtIssuer ? ['iss'] : []),
          ...(options.jwtAudience ? ['aud'] : []),
        ],
        clockTolerance: skew * 1000,
        cache: 10_000,
      });
    }
  }

  /** An Identity from the gate's settings (IDENTITY_*, JWT_*). */
  static fromSettings(s: IdentitySettings): Identity {
    return new Identity({
      mode: s.IDENTITY_MODE,
      header: s.IDENTITY_HEADER,
      ...(s.JWT_SECRET ? { jwtSecret: s.JWT_SECRET } : {}),
      ...(s.JWT_PUBLIC_KEY ? { jwtPublicKey: s.JWT_PUBLIC_KEY } : {}),
      ...(s.JWT_ALGORITHMS ? { jwtAlgorithms: s.JWT_ALGORITHMS } : {}),
      ...(s.JWT_ISSUER ? { jwtIssuer: s.JWT_ISSUER } : {}),
      ...(s.JWT_AUDIENCE ? { jwtAudience: s.JWT_AUDIENCE } : {}),
      ...(s.JWT_CLOCK_SKEW_SECONDS !== undefined
        ? { jwtClockSkewSeconds: s.JWT_CLOCK_SKEW_SECONDS }
        : {}),
    });
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
