import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSigner } from 'fast-jwt';
import { eventKeys, GATE_ADMIN_PREFIX } from '@rediclaim/core';
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
    const expired = createSigner({ key: JWT_SECRET, iss: 'shop', aud: 'gate', expiresIn: 1 })({
      sub: 'jin',
    });
    await new Promise((r) => setTimeout(r, 1100));
    const foreign = createSigner({ key: JWT_SECRET, iss: 'shop', aud: 'other' })({ sub: 'jin' });
    for (const token of [undefined, 'not.a.jwt', forged, expired, foreign]) {
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

  it('refuses a token whose subject is not a valid shopper id (400)', async () => {
    const res = await join(hs, signHs({ sub: 'has space' }));
    expect([res.statusCode, res.json().message]).toEqual([
      400,
      'token.sub: may contain only letters, digits and . _ @ : + = -',
    ]);
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

describe('documents and probes', () => {
  let g: InProcessGate;
  beforeAll(async () => {
    g = gates[0] ?? (await gateWith({}));
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
      '/v1/events/{eventId}/queue',
      '/v1/events/{eventId}/queue/me',
    ]);
    const join = doc.paths['/v1/events/{eventId}/queue'].post;
    expect(Object.keys(join.responses)).toEqual(
      expect.arrayContaining(['200', '201', '4XX', '5XX']),
    );
    expect(JSON.stringify(join.parameters)).toContain('^[A-Za-z0-9._@:+=-]+$');
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
