import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { createSigner, type SignerOptions } from 'fast-jwt';
import type { FastifyRequest } from 'fastify';
import { Identity, loadGateSettings, type IdentityOptions } from '@rediclaim/gate';
import { minimalGateEnv } from '../support/minimal-env.js';

const SECRET = 'a-jwt-secret-for-unit-tests-long-enough';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = {
  rsaPublic: rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  rsaPrivate: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  ecPublic: ec.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  ecPrivate: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
};

const jwt = (options: Partial<IdentityOptions>) =>
  new Identity({ mode: 'jwt', header: 'x-user-id', ...options });
const request = (token: string | undefined) =>
  ({ headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }) as FastifyRequest;
/** The shopper, or the refusal as `code: message`. */
function resolve(identity: Identity, token: string | undefined): string {
  try {
    return identity.resolve(request(token), undefined);
  } catch (error) {
    return `${(error as { code: string }).code}: ${(error as Error).message}`;
  }
}
const now = () => Date.now();
/** A token signed now with `options` (fast-jwt's own signer). */
const sign = (payload: Record<string, unknown>, options: Partial<SignerOptions>) =>
  createSigner({ key: SECRET, ...options })(payload);

describe('JWT identity', () => {
  const hs = jwt({ jwtSecret: SECRET });

  it('takes the subject of a valid HS256 token', () => {
    expect(resolve(hs, sign({ sub: 'jin' }, { expiresIn: 60_000 }))).toBe('jin');
    expect(hs.jwtAlgorithms).toEqual(['HS256']);
  });

  it('requires exp', () => {
    expect(resolve(hs, sign({ sub: 'jin' }, {}))).toBe(
      'UNAUTHENTICATED: the bearer token was refused: The exp claim is required.',
    );
  });

  it('allows the clock skew on exp and nbf, and no more', () => {
    // Expired 10 s ago: within the default 30 s of skew.
    const recent = sign({ sub: 'jin' }, { expiresIn: 1_000, clockTimestamp: now() - 11_000 });
    expect(resolve(hs, recent)).toBe('jin');
    const old = sign({ sub: 'jin' }, { expiresIn: 1_000, clockTimestamp: now() - 61_000 });
    expect(resolve(hs, old)).toMatch(
      /^UNAUTHENTICATED: the bearer token was refused: The token has expired at /,
    );
    const strict = jwt({ jwtSecret: SECRET, jwtClockSkewSeconds: 0 });
    expect(resolve(strict, recent)).toMatch(/has expired/);
    const wide = jwt({ jwtSecret: SECRET, jwtClockSkewSeconds: 120 });
    expect(resolve(wide, old)).toBe('jin');
    // Not yet valid: 10 s ahead is tolerated, 60 s is not.
    const soon = sign({ sub: 'jin' }, { expiresIn: 600_000, notBefore: 10_000 });
    expect(resolve(hs, soon)).toBe('jin');
    const later = sign({ sub: 'jin' }, { expiresIn: 600_000, notBefore: 60_000 });
    expect(resolve(hs, later)).toMatch(/will be active at/);
  });

  it('pins HS256 with a secret unless JWT_ALGORITHMS says otherwise, and never takes alg none', () => {
    const hs384 = sign({ sub: 'jin' }, { expiresIn: 60_000, algorithm: 'HS384' });
    expect(resolve(hs, hs384)).toBe(
      'UNAUTHENTICATED: the bearer token was refused: The token algorithm is invalid.',
    );
    expect(resolve(jwt({ jwtSecret: SECRET, jwtAlgorithms: ['HS384'] }), hs384)).toBe('jin');
    const none = createSigner({ algorithm: 'none', expiresIn: 60_000 })({ sub: 'jin' });
    expect(none.split('.')[2]).toBe('');
    expect(resolve(hs, none)).toMatch(/^UNAUTHENTICATED: .*signature is missing/);
    // A header claiming none in front of a real signature does not pass either.
    const [, body, mac] = sign({ sub: 'jin' }, { expiresIn: 60_000 }).split('.');
    const noneHeader = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url');
    expect(resolve(hs, `${noneHeader}.${body}.${mac}`)).toMatch(/algorithm is invalid/);
  });

  it('pins the public key’s own family: RS/PS for RSA, ES256 for P-256, never an HMAC', () => {
    const rs = jwt({ jwtPublicKey: pem.rsaPublic });
    expect(rs.jwtAlgorithms).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512']);
    const rsToken = createSigner({ key: pem.rsaPrivate, algorithm: 'RS256', expiresIn: 60_000 })({
      sub: 'ray',
    });
    expect(resolve(rs, rsToken)).toBe('ray');
    // Algorithm confusion: an HS256 token whose secret is the (public) PEM.
    const confused = createSigner({ key: pem.rsaPublic, algorithm: 'HS256', expiresIn: 60_000 })({
      sub: 'mallory',
    });
    expect(resolve(rs, confused)).toMatch(/^UNAUTHENTICATED: .*algorithm is invalid/);
    expect(resolve(rs, sign({ sub: 'mallory' }, { expiresIn: 60_000 }))).toMatch(
      /algorithm is invalid/,
    );
    const es = jwt({ jwtPublicKey: pem.ecPublic });
    expect(es.jwtAlgorithms).toEqual(['ES256']);
    const esToken = createSigner({ key: pem.ecPrivate, algorithm: 'ES256', expiresIn: 60_000 })({
      sub: 'eve',
    });
    expect(resolve(es, esToken)).toBe('eve');
    expect(resolve(rs, esToken)).toMatch(/algorithm is invalid/);
    // Narrowed by JWT_ALGORITHMS.
    const rs256 = jwt({ jwtPublicKey: pem.rsaPublic, jwtAlgorithms: ['RS256'] });
    const ps = createSigner({ key: pem.rsaPrivate, algorithm: 'PS256', expiresIn: 60_000 })({
      sub: 'ray',
    });
    expect(resolve(rs, ps)).toBe('ray');
    expect(resolve(rs256, ps)).toMatch(/algorithm is invalid/);
    // An HMAC algorithm with a public key is a configuration error, not a mode.
    expect(() => jwt({ jwtPublicKey: pem.rsaPublic, jwtAlgorithms: ['HS256'] })).toThrow(
      'JWT_ALGORITHMS: HS256 cannot be used with this public key: choose among RS256',
    );
    expect(() => jwt({ jwtSecret: SECRET, jwtAlgorithms: ['RS256'] })).toThrow(
      'JWT_ALGORITHMS: RS256 cannot be used with a JWT_SECRET',
    );
    expect(() => jwt({ jwtPublicKey: pem.rsaPrivate })).toThrow(
      'JWT_PUBLIC_KEY: must be a public key, not a private one',
    );
  });

  it('checks issuer and audience when configured, and requires them then', () => {
    const strict = jwt({ jwtSecret: SECRET, jwtIssuer: 'shop', jwtAudience: 'gate' });
    const ok = { expiresIn: 60_000, iss: 'shop', aud: 'gate' };
    expect(resolve(strict, sign({ sub: 'jin' }, ok))).toBe('jin');
    expect(resolve(strict, sign({ sub: 'jin' }, { ...ok, aud: ['other', 'gate'] }))).toBe('jin');
    const refusals = {
      'wrong aud': sign({ sub: 'jin' }, { ...ok, aud: 'other' }),
      'wrong iss': sign({ sub: 'jin' }, { ...ok, iss: 'elsewhere' }),
      'no aud': sign({ sub: 'jin' }, { expiresIn: 60_000, iss: 'shop' }),
      'no iss': sign({ sub: 'jin' }, { expiresIn: 60_000, aud: 'gate' }),
    };
    expect(
      Object.fromEntries(Object.entries(refusals).map(([k, t]) => [k, resolve(strict, t)])),
    ).toEqual({
      'wrong aud':
        'UNAUTHENTICATED: the bearer token was refused: The aud claim value is not allowed.',
      'wrong iss':
        'UNAUTHENTICATED: the bearer token was refused: The iss claim value is not allowed.',
      'no aud': 'UNAUTHENTICATED: the bearer token was refused: The aud claim is required.',
      'no iss': 'UNAUTHENTICATED: the bearer token was refused: The iss claim is required.',
    });
    // Without them configured, a token's iss and aud are not looked at.
    expect(resolve(hs, sign({ sub: 'jin' }, { ...ok, aud: 'other' }))).toBe('jin');
  });

  it('refuses a missing, forged or subject-less token', () => {
    expect(resolve(hs, undefined)).toMatch(/^UNAUTHENTICATED: the request carries no bearer token/);
    expect(
      resolve(hs, createSigner({ key: 'x'.repeat(40), expiresIn: 60_000 })({ sub: 'jin' })),
    ).toMatch(/signature is invalid/);
    expect(resolve(hs, sign({ name: 'jin' }, { expiresIn: 60_000 }))).toMatch(
      /The sub claim is required/,
    );
  });
});

describe('JWT settings', () => {
  const base = { ...minimalGateEnv, IDENTITY_MODE: 'jwt' };

  it('default the skew to 30 s and build the identity they describe', () => {
    const s = loadGateSettings({ ...base, JWT_SECRET: SECRET, JWT_AUDIENCE: 'gate' });
    expect(s.JWT_CLOCK_SKEW_SECONDS).toBe(30);
    const identity = Identity.fromSettings(s);
    expect(resolve(identity, sign({ sub: 'jin' }, { expiresIn: 60_000 }))).toMatch(
      /aud claim is required/,
    );
  });

  it('refuse algorithms that do not fit the key, unknown ones, none, and a private key', () => {
    expect(() =>
      loadGateSettings({ ...base, JWT_PUBLIC_KEY: pem.rsaPublic, JWT_ALGORITHMS: 'RS256,HS256' }),
    ).toThrow('JWT_ALGORITHMS: HS256 cannot be used with this public key');
    expect(() => loadGateSettings({ ...base, JWT_SECRET: SECRET, JWT_ALGORITHMS: 'none' })).toThrow(
      'JWT_ALGORITHMS[0]: must list algorithms among HS256',
    );
    expect(() => loadGateSettings({ ...base, JWT_PUBLIC_KEY: pem.ecPrivate })).toThrow(
      'JWT_PUBLIC_KEY: must be a public key, not a private one',
    );
    expect(() =>
      loadGateSettings({ ...base, JWT_SECRET: SECRET, JWT_CLOCK_SKEW_SECONDS: '3600' }),
    ).toThrow('JWT_CLOCK_SKEW_SECONDS: must be at most 300');
  });
});
