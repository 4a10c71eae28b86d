import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '@rediclaim/hack/testing';
import { createRequire } from 'node:module';
import { Registry } from 'prom-client';
import {
  EventsStore,
  LatencyHistogram,
  LiveEvent,
  TicketSigner,
  describeValidation,
  fixKafkajsIdleLoop,
  loadGateSettings,
} from '@rediclaim/gate';
import { eventConfigSchema } from '@rediclaim/core';
import { eventConfig } from './support/events.js';

/** Pure parts of the gate: settings, signed tickets, phases, validation messages. */
const base = {
  REDIS_URL: 'redis://localhost:6379',
  KAFKA_BROKERS: 'localhost:9092',
  EVENTS_FILE: '/x.yaml',
};

describe('settings', () => {
  it('names every bad variable', () => {
    expect(() =>
      loadGateSettings({
        ...base,
        REDIS_URL: 'http://x',
        GATE_PORT: '70000',
        EVENTS_CONFIGMAP: 'ns/cm',
      }),
    ).toThrow(
      'gate settings are invalid: GATE_PORT: must be at most 65535; REDIS_URL: must be a URL starting with redis:// or rediss://; EVENTS_CONFIGMAP: set exactly one of EVENTS_CONFIGMAP (<namespace>/<name>) and EVENTS_FILE',
    );
    expect(() => loadGateSettings({ ...base, IDENTITY_MODE: 'jwt' })).toThrow(
      'JWT_SECRET: IDENTITY_MODE=jwt needs exactly one of JWT_SECRET and JWT_PUBLIC_KEY',
    );
    expect(() => loadGateSettings({ ...base, TICKET_SECRET: 'short' })).toThrow(
      'TICKET_SECRET: must be at least 32 characters',
    );
  });

  it('exits with code 2 and the message when a setting is wrong', () => {
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'gate/dist/main.js')], {
      env: { PATH: process.env.PATH ?? '', KAFKA_BROKERS: 'x:1', EVENTS_FILE: '/x' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('gate settings are invalid: REDIS_URL: is required');
  });

  it('defaults to the seed identity mode, the contract ports and topics', () => {
    expect(loadGateSettings(base)).toMatchObject({
      GATE_PORT: 8080,
      GATE_ADMIN_PORT: 9090,
      IDENTITY_MODE: 'query',
      KAFKA_GROUP_ID: 'rediclaim-gate',
      TOPIC_ISSUE_REQUESTS: 'rediclaim.issue-requests',
      TOPIC_PARTITIONS: 12,
    });
  });
});

describe('signed tickets', () => {
  const signer = new TicketSigner('a-ticket-secret-of-at-least-32-chars!!');
  const claims = { tenant: 'shop', eventId: 'bf', userId: 'alice', ticket: 2 ** 48 + 7 };

  it('round-trips the claims of its own tickets, across replicas sharing the secret', () => {
    const ticket = signer.sign(claims);
    expect(
      new TicketSigner('a-ticket-secret-of-at-least-32-chars!!').verify(ticket, 'shop', 'bf'),
    ).toEqual(claims);
  });

  it('refuses another secret, a changed payload, and another event', () => {
    const ticket = signer.sign(claims);
    expect(() =>
      new TicketSigner('another-secret-of-at-least-32-chars!!!').verify(ticket, 'shop', 'bf'),
    ).toThrow('the ticket is not one this gate signed');
    const [payload, mac] = ticket.split('.');
    const changed = Buffer.from(
      JSON.stringify({ t: 'shop', e: 'bf', u: 'mallory', n: 1 }),
    ).toString('base64url');
    expect(() => signer.verify(`${changed}.${mac}`, 'shop', 'bf')).toThrow(
      'not one this gate signed',
    );
    expect(() => signer.verify(`${payload}`, 'shop', 'bf')).toThrow('not one this gate signed');
    expect(() => signer.verify(ticket, 'shop', 'other')).toThrow('the ticket is for another event');
  });
});

describe('live events', () => {
  it('follows the schedule through its phases, recomputing only when it changes', () => {
    const event = new LiveEvent(
      eventConfigSchema.parse(
        eventConfig('p', { preQueueInMs: 1_000, opensInMs: 2_000, closesInMs: 3_000 }),
      ),
    );
    const pre = Date.parse(event.config.schedule.preQueueOpensAt!);
    expect(event.phase(pre - 1)).toBe('Scheduled');
    expect(event.phase(pre)).toBe('PreQueue');
    expect(event.phase(pre + 500)).toBe('PreQueue');
    expect(event.phase(pre + 1_000)).toBe('Open');
    expect(event.phase(pre + 2_000)).toBe('Closed');
    expect(event.phase(pre - 1)).toBe('Scheduled');
  });

  it('reports which events a new config adds, changes and removes', () => {
    const store = new EventsStore();
    const parse = (c: ReturnType<typeof eventConfig>) => eventConfigSchema.parse(c);
    const a = parse(eventConfig('a'));
    store.apply(
      {
        apiVersion: 'rediclaim.io/v1alpha1',
        kind: 'EventsConfig',
        events: [a, parse(eventConfig('b'))],
      },
      't',
    );
    const change = store.apply(
      {
        apiVersion: 'rediclaim.io/v1alpha1',
        kind: 'EventsConfig',
        events: [a, parse(eventConfig('c', { stock: 5 }))],
      },
      't',
    );
    expect(change).toMatchObject({ added: ['c'], changed: [], removed: ['b'] });
  });
});

describe('validation messages', () => {
  it("speaks with core's words about shopper and event ids", () => {
    expect(
      describeValidation(
        [
          {
            instancePath: '/userId',
            keyword: 'pattern',
            params: {},
            message: 'must match pattern "^…$"',
          },
        ],
        'querystring',
        { userId: 'a b' },
      ),
    ).toBe('querystring.userId: may contain only letters, digits and . _ @ : + = -');
    expect(
      describeValidation(
        [{ instancePath: '', keyword: 'required', params: { missingProperty: 'userId' } }],
        'querystring',
        {},
      ),
    ).toBe('querystring.userId: is required');
  });
});

describe('request latency histogram', () => {
  it('renders cumulative buckets, sum and count in the Prometheus text format', async () => {
    const registry = new Registry();
    const h = new LatencyHistogram('t_seconds', 'test', [0.001, 0.005], registry);
    h.observe('GET', '/a', 200, 0.0005);
    h.observe('GET', '/a', 200, 0.003);
    h.observe('GET', '/a', 200, 5);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE t_seconds histogram');
    expect(text).toContain(
      't_seconds_bucket{method="GET",route="/a",status_code="200",le="0.001"} 1',
    );
    expect(text).toContain(
      't_seconds_bucket{method="GET",route="/a",status_code="200",le="0.005"} 2',
    );
    expect(text).toContain(
      't_seconds_bucket{method="GET",route="/a",status_code="200",le="+Inf"} 3',
    );
    expect(text).toContain('t_seconds_count{method="GET",route="/a",status_code="200"} 3');
    expect(text).toMatch(/t_seconds_sum\{method="GET",route="\/a",status_code="200"\} 5\.0035/);
  });
});

describe('kafkajs idle loop fix', () => {
  it('leaves an idle request queue without a timer, and still schedules one for a waiting request', () => {
    expect(fixKafkajsIdleLoop()).toBe(true);
    const RequestQueue = createRequire(import.meta.url)(
      'kafkajs/src/network/requestQueue/index.js',
    ) as new (options: Record<string, unknown>) => {
      pending: unknown[];
      throttleCheckTimeoutId: NodeJS.Timeout | null;
      scheduleCheckPendingRequests(): void;
    };
    const queue = new RequestQueue({
      maxInFlightRequests: 1,
      requestTimeout: 1000,
      enforceRequestTimeout: false,
      clientId: 'test',
      broker: 'b:1',
      logger: { debug: () => undefined },
      isConnected: () => true,
    });
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeNull();
    queue.pending.push({});
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(queue.throttleCheckTimeoutId!);
  });
});
