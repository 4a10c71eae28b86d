import { createHmac, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSigner } from 'fast-jwt';
import { eventKeys, GATE_ADMIN_PREFIX } from '@rediclaim/core';
import { TicketSigner } from '@rediclaim/gate';
import { freePorts, uniqueName, waitFor } from '@rediclaim/hack/testing';
import { eventConfig } from './support/events.js';
import {
  EventsFile,
  gateEnv,
  startGate,
  suiteTopics,
  type InProcessGate,
  type Topics,
} from './support/harness.js';

/**
 * The HTTP edge of a gate on real sockets: identity modes (trusted header, JWT with a
 * secret or a public key), per-client rate limiting, load shedding, the OpenAPI
 * document, probes and the admin token. Gates here run without dispatcher or consumer,
 * except the one that starts with Kafka unreachable.
 */
const EVENT = uniqueName('edge');
const JWT_SECRET = 'a-jwt-secret-for-tests-that-is-long-enough';
const TICKET_SECRET = 'a-ticket-secret-for-edge-tests-long-enough';
let topics: Topics;
let file: EventsFile;
const gates: InProcessGate[] = [];

async function gateWith(extra: Record<string, string>): Promise<InProcessGate> {
  const g = await startGate(gateEnv(topics, { EVENTS_FILE: file.path, ...extra }), {
    background: false,
  });
  gates.push(g);
  return g;
}

beforeAll(async () => {
  topics = await suiteTopics('edge', 1);
  file = new EventsFile([eventConfig(EVENT, { tenant: 'edge', mode: 'paused' })]);
});

afterAll(async () => {
  await Promise.all(gates.map((g) => g.stop()));
  await file?.remove();
});

describe('identity from a trusted header', () => {
  let g: InProcessGate;
  beforeAll(async () => {
    g = await gateWith({ IDENTITY_MODE: 'header', IDENTITY_HEADER: 'X-Shopper' });
  });

  it('takes the shopper from the header, for the seed API and v1', async () => {
    const res = await g.http({
      method: 'POST',
      url: `/gate/events/${EVENT}/enqueue`,
      headers: { 'x-shopper': 'hana' },
    });
    expect(res.json()).toEqual({ status: 'ENQUEUED', rank: 1 });
    const me = await g.http({
      url: `/v1/events/${EVENT}/queue/me`,
      headers: { 'x-shopper': 'hana' },
    });
    expect(me.json()).toMatchObject({ status: 'WAITING', rank: 1 });
  });

  it('refuses a request without the header (401) or with a malformed one (400)', async () => {
    const before = await g.gate.redis.zcard(eventKeys('edge', EVENT).queue);
    const missing = await g.http({ method: 'POST', url: `/v1/events/${EVENT}/queue` });
    expect([missing.statusCode, missing.json().code]).toEqual([401, 'UNAUTHENTICATED']);
    const bad = await g.http({
      method: 'POST',
      url: `/v1/events/${EVENT}/queue`,
      headers: { 'x-shopper': 'a b' },
    });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(bad.json().message).toMatch(/^headers\.x-shopper: may contain only/);
    expect(await g.gate.redis.zcard(eventKeys('edge', EVENT).queue)).toBe(before);
  });

  it('refuses a userId in the query that is not the identified shopper', async () => {
    const res = await g.http({
      method: 'POST',
      url: `/gate/events/${EVENT}/enqueue?userId=someone-else`,
      headers: { 'x-shopper': 'hana' },
    });
    expect([res.statusCode, res.json().code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});

describe('identity from a verified JWT', () => {
  let hs: InProcessGate;
  let rs: InProcessGate;
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signHs = createSigner({ key: JWT_SECRET, iss: 'shop', aud: 'gate', expiresIn: 60_000 });
  const signRs = createSigner({
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    algorithm: 'RS256',
    expiresIn: 60_000,
  });

  beforeAll(async () => {
    hs = await gateWith({
      IDENTITY_MODE: 'jwt',
      JWT_SECRET,
      JWT_ISSUER: 'shop',
      JWT_AUDIENCE: 'gate',
    });
    rs = await gateWith({
      IDENTITY_MODE: 'jwt',
      JWT_PUBLIC_KEY: publicKey.export({ type: 'spki', format: 'pem' }) as string,
      JWT_ALGORITHMS: 'RS256',
    });
  });

  const join = (g: InProcessGate, token?: string) =>
    g.http({
      method: 'POST',
      url: `/v1/events/${EVENT}/queue`,
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });

  it('takes the shopper from the subject of a valid token (HS256 secret, RS256 public key)', async () => {
    expect((await join(hs, signHs({ sub: 'jin' }))).json()).toMatchObject({ status: 'WAITING' });
    expect((await join(rs, signRs({ sub: 'ray' }))).json()).toMatchObject({ status: 'WAITING' });
  });

  it('refuses a missing, forged, expired or foreign token with 401 UNAUTHENTICATED', async () => {
    const before = await hs.gate.redis.zcard(eventKeys('edge', EVENT).queue);
    const forged = createSigner({
      key: 'another-secret-that-is-long-enough-too!!',
      iss: 'shop',
      aud: 'gate',
    })({ sub: 'jin' });
    // Expired two minutes ago: beyond the clock skew the gate allows (30 s).
    const expired = createSigner({
      key: JWT_SECRET,
      iss: 'shop',
      aud: 'gate',
      expiresIn: 1_000,
      clockTimestamp: Date.now() - 120_000,
    })({ sub: 'jin' });
    const foreign = createSigner({ key: JWT_SECRET, iss: 'shop', aud: 'other', expiresIn: 60_000 })(
      { sub: 'jin' },
    );
    const noAudience = createSigner({ key: JWT_SECRET, iss: 'shop', expiresIn: 60_000 })({
      sub: 'jin',
    });
    const unsigned = createSigner({
      algorithm: 'none',
      iss: 'shop',
      aud: 'gate',
      expiresIn: 60_000,
    })({ sub: 'jin' });
    const hs384 = createSigner({
      key: JWT_SECRET,
      algorithm: 'HS384',
      iss: 'shop',
      aud: 'gate',
      expiresIn: 60_000,
    })({ sub: 'jin' });
    for (const token of [
      undefined,
      'not.a.jwt',
      forged,
      expired,
      foreign,
      noAudience,
      unsigned,
      hs384,
    ]) {
      const res = await join(hs, token);
      expect({ token, status: res.statusCode, code: res.json().code }).toEqual({
        token,
        status: 401,
        code: 'UNAUTHENTICATED',
      });
    }
    expect((await join(rs, signHs({ sub: 'jin' }))).statusCode).toBe(401);
    expect(await hs.gate.redis.zcard(eventKeys('edge', EVENT).queue)).toBe(before);
  });

  it('requires exp and allows the clock skew (30 s) on it, no more, answering the JSON error', async () => {
    const queue = () =>
      hs.gate.redis.zrange(eventKeys('edge', EVENT).queue, '0', '-1', 'WITHSCORES');
    const before = await queue();
    const noExp = createSigner({ key: JWT_SECRET, iss: 'shop', aud: 'gate' })({ sub: 'ned' });
    const res = await join(hs, noExp);
    expect([res.statusCode, res.headers['content-type'], res.json()]).toEqual([
      401,
      'application/json; charset=utf-8',
      {
        code: 'UNAUTHENTICATED',
        message: 'the bearer token was refused: The exp claim is required.',
      },
    ]);
    const expiredAgo = (seconds: number) =>
      createSigner({
        key: JWT_SECRET,
        iss: 'shop',
        aud: 'gate',
        expiresIn: 1_000,
        clockTimestamp: Date.now() - (seconds + 1) * 1000,
      })({ sub: 'ned' });
    const late = await join(hs, expiredAgo(90));
    expect([late.statusCode, late.json().code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(late.json().message).toMatch(/^the bearer token was refused: The token has expired at /);
    expect(await queue()).toEqual(before);
    expect((await join(hs, expiredAgo(10))).json()).toMatchObject({ status: 'WAITING' });
  });

  it('refuses a token whose subject is not a valid shopper id (400)', async () => {
    const res = await join(hs, signHs({ sub: 'has space' }));
    expect([res.statusCode, res.json().message]).toEqual([
      400,
      'token.sub: may contain only letters, digits and . _ @ : + = -',
    ]);
  });
});

describe('signed tickets', () => {
  let g: InProcessGate;
  let ticket: string;
  let claims: { tenant: string; eventId: string; userId: string; ticket: number };
  const q = encodeURIComponent;
  const resume = (t: string) => g.http({ url: `/v1/events/${EVENT}/queue/me?ticket=${q(t)}` });
  const queue = () => g.gate.redis.zrange(eventKeys('edge', EVENT).queue, '0', '-1', 'WITHSCORES');

  beforeAll(async () => {
    g = await gateWith({ TICKET_SECRET });
    const joined = await g.http({ method: 'POST', url: `/v1/events/${EVENT}/queue?userId=tia` });
    ticket = joined.json().ticket;
    const p = JSON.parse(Buffer.from(ticket.split('.')[0]!, 'base64url').toString('utf8'));
    claims = { tenant: p.t, eventId: p.e, userId: p.u, ticket: p.n };
  });

  it('resumes the place with a ticket that carries its key id and expiry, handed back unchanged while good', async () => {
    const payload = JSON.parse(Buffer.from(ticket.split('.')[0]!, 'base64url').toString('utf8'));
    expect(payload).toMatchObject({ t: 'edge', e: EVENT, u: 'tia', k: g.gate.tickets.kid });
    expect(payload.x * 1000).toBeGreaterThan(Date.now() + 6.9 * 24 * 3600_000);
    const res = await resume(ticket);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'WAITING', ticket });
  });

  it('keeps a ticket good across a key rotation (previous secret) and hands back one of the new key', async () => {
    const NEXT = 'the-next-ticket-secret-for-edge-tests-long';
    const rotated = await gateWith({ TICKET_SECRET: NEXT, TICKET_PREVIOUS_SECRETS: TICKET_SECRET });
    const res = await rotated.http({ url: `/v1/events/${EVENT}/queue/me?ticket=${q(ticket)}` });
    expect(res.statusCode).toBe(200);
    const renewed = res.json().ticket as string;
    expect(res.json()).toMatchObject({ status: 'WAITING', eventId: EVENT });
    const payload = JSON.parse(Buffer.from(renewed.split('.')[0]!, 'base64url').toString('utf8'));
    expect(payload.k).toBe(rotated.gate.tickets.kid);
    expect(payload.k).not.toBe(g.gate.tickets.kid);
    // Without the previous secret, the old ticket is someone else's key.
    const fresh = await gateWith({ TICKET_SECRET: NEXT });
    const refused = await fresh.http({ url: `/v1/events/${EVENT}/queue/me?ticket=${q(ticket)}` });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().code).toBe('INVALID_TICKET');
  });

  it('answers an expired, forged, foreign-key, non-canonical or former-kind ticket 401 INVALID_TICKET, changing nothing', async () => {
    const before = await queue();
    const [payload, mac] = ticket.split('.') as [string, string];
    const eightDaysAgo = Date.now() - 8 * 24 * 3600_000;
    const lastBitsSet =
      mac.slice(0, -1) +
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[
        'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(mac.at(-1)!) | 3
      ];
    const legacyPayload = Buffer.from(
      JSON.stringify({ t: 'edge', e: EVENT, u: 'tia', n: claims.ticket }),
    ).toString('base64url');
    const legacy = `${legacyPayload}.${createHmac('sha256', TICKET_SECRET).update(legacyPayload).digest('base64url')}`;
    const mallory = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), u: 'mallory' }),
    ).toString('base64url');
    const cases = {
      expired: [
        new TicketSigner(TICKET_SECRET, { clock: () => eightDaysAgo }).sign(claims),
        /^the ticket expired at /,
      ],
      forged: [`${mallory}.${mac}`, /^the ticket is not one this gate signed$/],
      'unknown key': [
        new TicketSigner('another-ticket-secret-that-is-long-enough').sign(claims),
        /^the ticket was signed with a key this gate does not hold/,
      ],
      'non-canonical MAC': [`${payload}.${lastBitsSet}`, /^the ticket is malformed/],
      'padded MAC': [`${ticket}=`, /^the ticket is malformed/],
      'former kind': [legacy, /^the ticket is of a former kind/],
    } as const;
    for (const [name, [token, message]] of Object.entries(cases)) {
      const res = await resume(token);
      expect({ name, status: res.statusCode, body: res.json() }).toEqual({
        name,
        status: 401,
        body: { code: 'INVALID_TICKET', message: expect.stringMatching(message) },
      });
    }
    expect(await queue()).toEqual(before);
    // The real ticket still works.
    expect((await resume(ticket)).json()).toMatchObject({ status: 'WAITING' });
  });
});

describe('protection', () => {
  it('limits joins per client with 429 RATE_LIMITED and Retry-After, and leaves polling alone', async () => {
    const g = await gateWith({
      ENQUEUE_RATE_LIMIT_MAX: '3',
      ENQUEUE_RATE_LIMIT_WINDOW_MS: '60000',
    });
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await g.http({ method: 'POST', url: `/gate/events/${EVENT}/enqueue?userId=rl${i}` }))
          .statusCode,
      );
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await g.http({ method: 'POST', url: `/v1/events/${EVENT}/queue?userId=rl9` });
    expect([limited.statusCode, limited.json().code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await g.http({ url: `/gate/events/${EVENT}/rank?userId=rl0` })).statusCode).toBe(200);
  });

  it('counts the limits in Redis for the whole fleet, joins and polls apart', async () => {
    const fleet = { RATE_LIMIT_STORE: 'redis', RATE_LIMIT_NAMESPACE: `${uniqueName('fleet')}:` };
    const limits = {
      ...fleet,
      ENQUEUE_RATE_LIMIT_MAX: '4',
      ENQUEUE_RATE_LIMIT_WINDOW_MS: '60000',
      POLL_RATE_LIMIT_MAX: '3',
      POLL_RATE_LIMIT_WINDOW_MS: '60000',
    };
    const [a, b] = [await gateWith(limits), await gateWith(limits)];
    const joinOn = async (g: InProcessGate, user: string) =>
      (await g.http({ method: 'POST', url: `/v1/events/${EVENT}/queue?userId=${user}` }))
        .statusCode;
    // Two replicas, one budget: a client cannot double it by landing on both.
    expect([await joinOn(a, 'f1'), await joinOn(b, 'f2'), await joinOn(a, 'f3')]).toEqual([
      201, 201, 201,
    ]);
    expect(await joinOn(b, 'f4')).toBe(201);
    const refused = await a.http({ method: 'POST', url: `/v1/events/${EVENT}/queue?userId=f5` });
    expect([refused.statusCode, refused.json().code]).toEqual([429, 'RATE_LIMITED']);
    // Polls have a budget of their own, on both status routes together.
    const poll = async (g: InProcessGate, route: string) =>
      (await g.http({ url: route })).statusCode;
    const me = `/v1/events/${EVENT}/queue/me?userId=f1`;
    const rank = `/gate/events/${EVENT}/rank?userId=f1`;
    expect([await poll(a, me), await poll(b, rank), await poll(b, me)]).toEqual([200, 200, 200]);
    const tooMany = await a.http({ url: rank });
    expect([tooMany.statusCode, tooMany.json().code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(tooMany.headers['retry-after'])).toBeGreaterThan(0);
    // Another deployment on the same Redis counts apart.
    const other = await gateWith({ ...limits, RATE_LIMIT_NAMESPACE: `${uniqueName('other')}:` });
    expect(await joinOn(other, 'f6')).toBe(201);
  });

  it('believes only as many X-Forwarded-For hops as TRUST_PROXY says, whatever a client writes', async () => {
    const g = await gateWith({
      TRUST_PROXY: '1',
      ENQUEUE_RATE_LIMIT_MAX: '2',
      ENQUEUE_RATE_LIMIT_WINDOW_MS: '60000',
    });
    // One proxy in front appends the address it saw; a client writes what it likes before.
    const joinFrom = async (forwarded: string, user: string) =>
      (
        await g.http({
          method: 'POST',
          url: `/v1/events/${EVENT}/queue?userId=${user}`,
          headers: { 'x-forwarded-for': forwarded },
        })
      ).statusCode;
    expect(await joinFrom('10.0.0.1, 203.0.113.7', 'x1')).toBe(201);
    expect(await joinFrom('10.0.0.2, 203.0.113.7', 'x2')).toBe(201);
    expect(await joinFrom('10.0.0.3, 203.0.113.7', 'x3')).toBe(429);
    expect(await joinFrom('198.51.100.9', 'x4')).toBe(201);
  });

  it('sheds shoppers with 503 OVERLOADED and Retry-After when the event loop lags, but keeps probes up', async () => {
    const g = await gateWith({
      OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: '40',
      OVERLOAD_RETRY_AFTER_SECONDS: '7',
    });
    // Keep this process's event loop busy in 150 ms slices, as a gate drowning in work would be.
    let busy = true;
    const burn = (async () => {
      while (busy) {
        const until = Date.now() + 150;
        while (Date.now() < until);
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      const shed = await waitFor(
        'a shed request',
        async () => {
          const res = await g.http({ url: `/gate/events/${EVENT}/rank?userId=x` });
          return res.statusCode === 503 ? res : undefined;
        },
        10_000,
        100,
      );
      expect(shed.json()).toMatchObject({ code: 'OVERLOADED' });
      expect(shed.headers['retry-after']).toBe('7');
      expect((await g.http({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      busy = false;
      await burn;
    }
    await waitFor(
      'recovery',
      async () => (await g.http({ url: `/gate/events/${EVENT}/rank?userId=x` })).statusCode === 200,
    );
  });

  it('guards the internal API with ADMIN_TOKEN when set, but not /metrics', async () => {
    const g = await gateWith({ ADMIN_TOKEN: 'admin-token-for-tests' });
    const url = `/internal/v1/events/edge/${EVENT}/stats`;
    expect((await g.admin({ url })).statusCode).toBe(401);
    const ok = await g.admin({ url, headers: { authorization: 'Bearer admin-token-for-tests' } });
    expect(ok.json()).toMatchObject({ known: true, eventId: EVENT, tenant: 'edge' });
    expect((await g.admin({ url: '/metrics' })).statusCode).toBe(200);
  });
});

describe('request ids and browsers on other origins', () => {
  it("answers with the caller's x-request-id when sane, and a fresh one otherwise, errors included", async () => {
    const g = await gateWith({});
    const given = await g.http({
      url: `/v1/events/${EVENT}`,
      headers: { 'x-request-id': 'shop-7f3a.42' },
    });
    expect(given.headers['x-request-id']).toBe('shop-7f3a.42');
    const fresh = await g.http({ url: `/v1/events/${EVENT}` });
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await g.http({
      url: '/no/such/route',
      headers: { 'x-request-id': 'has spaces "and quotes"' },
    });
    expect(unsafe.statusCode).toBe(404);
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const admin = await g.admin({ url: '/healthz', headers: { 'x-request-id': 'probe-1' } });
    expect(admin.headers['x-request-id']).toBe('probe-1');
  });

  it('lets only the configured origins call from a browser (CORS), and none by default', async () => {
    const none = await gateWith({});
    const plain = await none.http({
      url: `/v1/events/${EVENT}`,
      headers: { origin: 'https://shop.example' },
    });
    expect(plain.headers['access-control-allow-origin']).toBeUndefined();

    const g = await gateWith({ CORS_ORIGINS: 'https://shop.example, https://m.shop.example' });
    const preflight = await g.http({
      method: 'OPTIONS',
      url: `/v1/events/${EVENT}/queue`,
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, POST');
    const read = await g.http({
      url: `/v1/events/${EVENT}`,
      headers: { origin: 'https://m.shop.example' },
    });
    expect(read.headers['access-control-allow-origin']).toBe('https://m.shop.example');
    expect(read.headers['access-control-expose-headers']).toBe('retry-after, x-request-id');
    const foreign = await g.http({
      url: `/v1/events/${EVENT}`,
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a CORS_ORIGINS entry that is not an origin, naming it', () => {
    expect(() => gateWith({ CORS_ORIGINS: 'https://shop.example/checkout' })).rejects.toThrow(
      /CORS_ORIGINS.*"https:\/\/shop.example\/checkout" is not an origin/,
    );
  });
});

describe('documents and probes', () => {
  let g: InProcessGate;
  beforeAll(async () => {
    // The default identity mode (query): the document says so.
    g = await gateWith({});
  });

  it('serves an OpenAPI 3.1 document of every public route with its schemas', async () => {
    const doc = (await g.http({ url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/gate/events/{eventId}/enqueue',
      '/gate/events/{eventId}/rank',
      '/healthz',
      '/readyz',
      '/v1/events/{eventId}',
      '/v1/events/{eventId}/challenge',
      '/v1/events/{eventId}/queue',
      '/v1/events/{eventId}/queue/me',
      '/v1/events/{eventId}/queue/me/stream',
    ]);
    // The stream is described as what it is: server-sent events, the poll's refusals.
    const stream = doc.paths['/v1/events/{eventId}/queue/me/stream'].get;
    expect(Object.keys(stream.responses['200'].content)).toEqual(['text/event-stream']);
    expect(stream.description).toContain('Last-Event-ID');
    expect(Object.keys(stream.responses)).toEqual(expect.arrayContaining(['4XX', '5XX']));
    const join = doc.paths['/v1/events/{eventId}/queue'].post;
    expect(Object.keys(join.responses)).toEqual(
      expect.arrayContaining(['200', '201', '4XX', '5XX']),
    );
    expect(JSON.stringify(join.parameters)).toContain('^[A-Za-z0-9._@:+=-]+$');
    // Proof of work: the challenge route, and the header a join carries its solution in.
    const challenge = doc.paths['/v1/events/{eventId}/challenge'].get;
    expect(Object.keys(challenge.responses)).toEqual(expect.arrayContaining(['200', '4XX']));
    expect(join.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'x-pow-solution' })]),
    );
    // Named schemas, not def-0: generated clients get Status, Join and Error types.
    expect(Object.keys(doc.components.schemas).sort()).toEqual(['Error', 'Join', 'Status']);
    expect(JSON.stringify(doc.paths)).not.toContain('def-');
    // How each route identifies the shopper: this gate runs the query mode, which is
    // no authentication (userId stays a parameter); the status read also takes the ticket.
    expect(doc.components.securitySchemes).toEqual({
      queueTicket: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'ticket' }),
    });
    expect(join.security).toEqual([{}]);
    expect(doc.paths['/v1/events/{eventId}/queue/me'].get.security).toEqual([
      {},
      { queueTicket: [] },
    ]);
    expect(doc.paths['/v1/events/{eventId}'].get.security).toEqual([]);
  });

  it("documents the header mode's trusted header as the shoppers' security scheme", async () => {
    const header = await gateWith({ IDENTITY_MODE: 'header', IDENTITY_HEADER: 'X-Shopper' });
    const doc = (await header.http({ url: '/openapi.json' })).json();
    expect(doc.components.securitySchemes.trustedHeader).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'x-shopper',
    });
    expect(doc.paths['/v1/events/{eventId}/queue'].post.security).toEqual([{ trustedHeader: [] }]);
  });

  it('answers /healthz and /readyz on both ports, and reports Redis when it cannot reach it', async () => {
    for (const client of [g.http, g.admin]) {
      expect((await client({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
      const ready = await client({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({
        ready: true,
        checks: { redis: { ok: true }, kafka: { ok: true }, config: { ok: true } },
      });
    }
    const own = await gateWith({});
    // Kafka's first probe answers in the background: the check below is about Redis.
    await waitFor('the new gate to see Kafka', async () =>
      (await own.http({ url: '/readyz' })).json().checks.kafka.ok ? true : undefined,
    );
    own.gate.redis.disconnect();
    const ready = await own.http({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({
      ready: false,
      checks: { redis: { ok: false }, kafka: { ok: true } },
    });
    const join = await own.http({ method: 'POST', url: `/v1/events/${EVENT}/queue?userId=x` });
    expect([join.statusCode, join.json().code, join.headers['retry-after']]).toEqual([
      503,
      'UNAVAILABLE',
      '1',
    ]);
  });

  it('serves the waiting room when Kafka is unreachable: ready, joins and polls answered, admission paused and said so', async () => {
    const [port] = await freePorts(1);
    const id = uniqueName('nokafka');
    const open = new EventsFile([eventConfig(id, { tenant: 'edge' })]);
    const own = await startGate(
      gateEnv(topics, {
        EVENTS_FILE: open.path,
        KAFKA_BROKERS: `127.0.0.1:${port}`,
        KAFKA_CONNECT_WAIT_MS: '300',
      }),
    );
    try {
      expect((await own.admin({ url: '/healthz' })).statusCode).toBe(200);
      const ready = await own.admin({ url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks.kafka).toMatchObject({ ok: false, informational: true });
      const join = await own.http({ method: 'POST', url: `/v1/events/${id}/queue?userId=early` });
      expect(join.statusCode).toBeLessThan(300);
      expect(join.json()).toMatchObject({ status: 'WAITING', phase: 'Paused', etaSeconds: null });
      const poll = await own.http({ url: `/v1/events/${id}/queue/me?userId=early` });
      expect(poll.json()).toMatchObject({ status: 'WAITING', rank: 1, phase: 'Paused' });
      const stats = await own.admin({ url: `${GATE_ADMIN_PREFIX}/edge/${id}/stats` });
      expect(stats.json().admission).toMatchObject({ paused: true, reason: 'KafkaUnavailable' });
      const metrics = await own.admin({ url: '/metrics' });
      expect(metrics.body).toMatch(/^rediclaim_gate_kafka_up 0$/m);
      expect(metrics.body).toMatch(
        /^rediclaim_gate_admission_paused\{cause="kafka_unavailable"\} 1$/m,
      );
    } finally {
      await own.stop();
      await open.remove();
    }
  });
});
