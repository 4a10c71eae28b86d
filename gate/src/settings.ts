import { z } from 'zod';
import {
  DEFAULT_COUPONS_TOPIC,
  DefaultTopics,
  configShardsSchema,
  hostListSchema,
  env,
  kafkaSecuritySettings,
  loadEnvConfig,
  refineKafkaSecurity,
  refineKafkaTopics,
  kafkaTopicSettings,
  signatureModeSchema,
  signingKeysSchema,
} from '@rediclaim/core';
import {
  DEFAULT_JWT_CLOCK_SKEW_SECONDS,
  JWT_ALGORITHM_NAMES,
  JwtConfigError,
  jwtAlgorithmsFor,
} from './http/identity.js';
import { DEFAULT_TICKET_TTL_SECONDS } from './queue/tickets.js';
import { redisSettingsIssues } from './redis/connection-options.js';
import { pemCertificatesFile, pemPrivateKeyFile, secretFile } from './setting-files.js';

/**
 * The gate's settings, one environment variable each (see README.md). Every mistake
 * is reported at start-up by variable name; main exits with code 2.
 */
const configMapRef = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/,
    'must be <namespace>/<name>, like rediclaim/rediclaim-events',
  )
  .transform((v) => {
    const [namespace, name] = v.split('/') as [string, string];
    return { namespace, name };
  });

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export const gateSettingsSchema = z
  .object({
    GATE_PORT: env.port().default(8080),
    GATE_ADMIN_PORT: env.port().default(9090),
    GATE_HOST: z.string().default('0.0.0.0'),
    /** Where the internal API listens; GATE_HOST when unset. */
    GATE_ADMIN_HOST: z.string().min(1).optional(),
    LOG_LEVEL: env.logLevel(),

    /** One Redis; or REDIS_CLUSTER_NODES for a Redis Cluster (exactly one of the two). */
    REDIS_URL: env.url(['redis', 'rediss']).optional(),
    /** Seed nodes of a Redis Cluster, host:port each; set, the gate talks Cluster. */
    REDIS_CLUSTER_NODES: hostListSchema({ defaultPort: 6379, maxHosts: 64 }).optional(),
    /**
     * Cluster only: how long a write the invariants need (a join, an admission, recorded
     * results, applied coupon events) waits for a replica to hold it (WAIT 1) before the
     * gate answers, sends to Kafka or commits its offsets; 0 does not wait. A replica that
     * does not answer in time delays, never fails, the write (README, Redis Cluster).
     */
    REDIS_CLUSTER_REPLICA_WAIT_MS: env.int(0, 60_000).default(500),
    REDIS_COMMAND_TIMEOUT_MS: env.int(50, 60_000).default(2_000),
    /** An ACL user (Redis 6+); with a password from one of the two below. */
    REDIS_USERNAME: z.string().min(1).optional(),
    REDIS_PASSWORD: z.string().min(1).optional(),
    /** A file holding the password (a mounted Secret); read at start-up. */
    REDIS_PASSWORD_FILE: secretFile().optional(),
    /** rediss:// only: the authorities the server's certificate must lead to (default: the system's). */
    REDIS_TLS_CA: pemCertificatesFile().optional(),
    /** rediss:// only: a client certificate and its key, for servers that ask (mutual TLS). */
    REDIS_TLS_CERT: pemCertificatesFile().optional(),
    REDIS_TLS_KEY: pemPrivateKeyFile().optional(),
    /** rediss:// only: the name the server's certificate must have, when not the URL's host. */
    REDIS_TLS_SERVERNAME: z
      .string()
      .regex(/^[A-Za-z0-9]([-.A-Za-z0-9]*[A-Za-z0-9])?$/, 'must be a host name')
      .optional(),

    KAFKA_BROKERS: env.list(),
    ...kafkaSecuritySettings,
    KAFKA_CLIENT_ID: z.string().min(1).default('rediclaim-gate'),
    KAFKA_GROUP_ID: z.string().min(1).default('rediclaim-gate'),
    TOPIC_ISSUE_REQUESTS: z.string().min(1).default(DefaultTopics.issueRequests),
    TOPIC_ISSUE_RESULTS: z.string().min(1).default(DefaultTopics.issueResults),
    TOPIC_DEAD_LETTERS: z.string().min(1).default(DefaultTopics.deadLetters),
    /**
     * The issuer's coupon lifecycle events: the gate follows them (one group for the fleet)
     * to show shoppers whether their coupon was used, and counts redeemed coupons.
     */
    GATE_COUPONS_ENABLED: env.bool().default(true),
    TOPIC_COUPONS: z.string().min(1).default(DEFAULT_COUPONS_TOPIC),
    GATE_COUPONS_GROUP_ID: z.string().min(1).default('rediclaim-gate-coupons'),
    ...kafkaTopicSettings,
    KAFKA_SEND_TIMEOUT_MS: env.int(100, 120_000).default(10_000),
    KAFKA_SESSION_TIMEOUT_MS: env.int(6_000, 300_000).default(30_000),
    KAFKA_PROBE_INTERVAL_MS: env.int(100, 60_000).default(1_000),
    KAFKA_CONNECT_WAIT_MS: env.int(0, 300_000).default(15_000),

    /** `<namespace>/<base>`: the operator's shards `<base>-0` … `<base>-<N-1>`. */
    EVENTS_CONFIGMAP: configMapRef.optional(),
    /** Must equal the operator's EVENTS_CONFIG_SHARDS: both derive the same names. */
    EVENTS_CONFIG_SHARDS: configShardsSchema,
    EVENTS_FILE: z.string().min(1).optional(),

    IDENTITY_MODE: z.enum(['query', 'header', 'jwt']).default('query'),
    IDENTITY_HEADER: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'must be an HTTP header name')
      .transform((v) => v.toLowerCase())
      .default('x-user-id'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    JWT_PUBLIC_KEY: z
      .string()
      .refine((v) => v.includes('-----BEGIN'), 'must be a PEM public key')
      .optional(),
    JWT_ALGORITHMS: env
      .list()
      .pipe(
        z.array(
          z.enum(JWT_ALGORITHM_NAMES as [string, ...string[]], {
            error: `must list algorithms among ${JWT_ALGORITHM_NAMES.join(', ')}`,
          }),
        ),
      )
      .optional(),
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    /** Leeway on a token's exp and nbf for clocks that disagree. */
    JWT_CLOCK_SKEW_SECONDS: env.int(0, 300).default(DEFAULT_JWT_CLOCK_SKEW_SECONDS),
    TICKET_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Former TICKET_SECRETs, comma-separated: their tickets verify until they expire. */
    TICKET_PREVIOUS_SECRETS: env
      .list()
      .pipe(z.array(z.string().min(32, 'each secret must be at least 32 characters')))
      .optional(),
    TICKET_TTL_SECONDS: env.int(60, 7_776_000).default(DEFAULT_TICKET_TTL_SECONDS),
    /**
     * The HMAC key proof-of-work challenges are signed with (events with
     * spec.admission.proofOfWork): every replica needs the same one to verify the others'.
     */
    POW_HMAC_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    /** A file holding POW_HMAC_KEY (a mounted Secret), read at start-up. */
    POW_HMAC_KEY_FILE: secretFile()
      .refine((key) => key.length >= 32, 'must hold a key of at least 32 characters')
      .optional(),
    /** Former POW_HMAC_KEYs, comma-separated: their challenges verify until they expire. */
    POW_PREVIOUS_HMAC_KEYS: env
      .list()
      .pipe(z.array(z.string().min(32, 'each key must be at least 32 characters')))
      .optional(),
    /** How long a replica trusts what it last read of an event's join spike. */
    POW_SPIKE_REFRESH_MS: env.int(50, 60_000).default(1_000),
    /** Tickets without key id and expiry (signed before they had them) verify until then. */
    TICKET_LEGACY_ACCEPT_UNTIL: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 time, like 2026-07-01T00:00:00Z' })
      .transform((v) => Date.parse(v))
      .optional(),

    /**
     * Which X-Forwarded-For hops to believe: false (none: the socket's address), the
     * number of proxies in front of the gate, or their addresses/CIDRs. Never "true":
     * a client can write any left-most address and dodge every per-client limit.
     */
    TRUST_PROXY: z
      .string()
      .trim()
      .transform((v, ctx): false | number | string[] => {
        if (v === '' || v === 'false') return false;
        if (/^\d+$/.test(v)) return Number(v);
        if (v === 'true') {
          ctx.addIssue({
            code: 'custom',
            message:
              'must not be "true" (it believes a spoofable left-most X-Forwarded-For): give the number of proxies in front of the gate (e.g. 1) or their addresses/CIDRs',
          });
          return z.NEVER;
        }
        const list = v.split(',').map((p) => p.trim());
        if (list.some((p) => !/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/.test(p))) {
          ctx.addIssue({
            code: 'custom',
            message: 'must be false, a hop count, or addresses/CIDRs separated by commas',
          });
          return z.NEVER;
        }
        return list;
      })
      .default(false),
    /**
     * Where the per-client limits count: redis (every replica together) or memory (per
     * replica). memory by default: redis costs a Redis call per join and poll (measured
     * -12 % joins, -24 % polls flat out on the 2-core machine, README).
     */
    RATE_LIMIT_STORE: z.enum(['redis', 'memory']).default('memory'),
    /** Prefix of the limits' Redis keys: one per deployment sharing a Redis. */
    RATE_LIMIT_NAMESPACE: z.string().min(1).max(100).default('rc:ratelimit:'),
    ENQUEUE_RATE_LIMIT_MAX: env.int(0, 1_000_000).default(30),
    ENQUEUE_RATE_LIMIT_WINDOW_MS: env.int(100, 3_600_000).default(10_000),
    /**
     * Status reads per client address per window (both status routes together); 0
     * disables. Generous: one address may be a carrier's NAT with many shoppers behind it.
     */
    POLL_RATE_LIMIT_MAX: env.int(0, 10_000_000).default(600),
    POLL_RATE_LIMIT_WINDOW_MS: env.int(100, 3_600_000).default(10_000),
    /**
     * Origins whose pages may call the public API from a browser: `https://shop.example`
     * (comma-separated), or `*` for any; unset: no CORS headers (same-origin only).
     */
    CORS_ORIGINS: z
      .string()
      .optional()
      .transform((text, ctx) => {
        const list = (text ?? '')
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean);
        if (list.length === 0) return undefined;
        if (list.length === 1 && list[0] === '*') return '*' as const;
        const isOrigin = (text: string) => {
          try {
            const url = new URL(text);
            return /^https?:$/.test(url.protocol) && url.origin === text;
          } catch {
            return false;
          }
        };
        for (const origin of list) {
          if (!isOrigin(origin)) {
            ctx.addIssue({
              code: 'custom',
              message: `"${origin}" is not an origin: scheme://host[:port], no path or trailing slash (or * alone)`,
            });
            return z.NEVER;
          }
        }
        return list;
      }),
    OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: env.int(0, 60_000).default(1_000),
    OVERLOAD_MAX_HEAP_USED_BYTES: env.int(0, Number.MAX_SAFE_INTEGER).default(0),
    OVERLOAD_MAX_RSS_BYTES: env.int(0, Number.MAX_SAFE_INTEGER).default(0),
    OVERLOAD_RETRY_AFTER_SECONDS: env.int(1, 3600).default(5),
    ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /**
     * The keys issue requests are signed with (`id=secret,...`, the first signs): the
     * issuers decide only records signed with one of their keys (core record-signature).
     */
    REQUEST_SIGNING_KEYS: signingKeysSchema,
    /**
     * The issuers sign their results with the same keys; a result record whose signature
     * is missing or matches none of them is a dead letter, so producing to the results
     * topic cannot tell a shopper they won. optional: unsigned results are recorded too
     * (upgrading from issuers that do not sign).
     */
    RESULT_SIGNATURES: signatureModeSchema.default('required'),

    DISPATCH_INTERVAL_MS: env.int(5, 10_000).default(100),
    DISPATCH_BATCH_MAX: env.int(1, 3_000).default(1_000),
    /**
     * The shared token bucket holds rate × this. A second: tokens that accrue while every
     * admitting gate falls behind (a GC pause, a starved CPU) are still spent once they
     * catch up, so a sale admits its configured rate; 0.25 s lost 15 % of it to stalls
     * of 400 ms (admission-lag test).
     */
    DISPATCH_BURST_SECONDS: env.number(0.001, 10).default(1),
    /**
     * Backpressure: an admitted shopper without a result after this long is overdue; when
     * more than a few are, the fleet admits slower (admit.lua). 0 turns it off: the
     * configured rate always, however far issuance falls behind.
     */
    ADMISSION_OVERDUE_MS: env.int(0, 600_000).default(3_000),
    /** The least share of the configured rate backpressure keeps admitting. */
    ADMISSION_MIN_RATE_FRACTION: env.number(0.01, 1).default(0.05),
    REQUEUE_INTERVAL_MS: env.int(50, 60_000).default(1_000),
    RESULTS_DEFAULT_RETENTION_SECONDS: env.int(60, 2_592_000).default(86_400),
    /** Most results one Lua call records: Redis serves nobody else while it runs. */
    RESULTS_RECORD_CHUNK: env.int(1, 1_000).default(200),
    /**
     * Push streams (server-sent events, GET /v1/events/:id/queue/me/stream): off, the route
     * is not there and shoppers poll. GATE_PUSH_MAX_STREAMS bounds them per replica (0:
     * every stream refused with 503, the shopper polls); past it, 503 + Retry-After.
     */
    GATE_PUSH_ENABLED: env.bool().default(true),
    GATE_PUSH_MAX_STREAMS: env.int(0, 1_000_000).default(10_000),
    /**
     * Open streams per client address (0: no bound), counted where RATE_LIMIT_STORE says;
     * past it, 429 + Retry-After and the shopper polls. So one address cannot take a
     * gate's streams from the crowd; generous, as one address may be a carrier's NAT.
     */
    GATE_PUSH_MAX_STREAMS_PER_CLIENT: env.int(0, 1_000_000).default(50),
    GATE_PUSH_HEARTBEAT_SECONDS: env.int(1, 300).default(15),
    /** Every stream is read again after this long, even if no notice named its shopper. */
    GATE_PUSH_RESYNC_SECONDS: env.int(1, 3_600).default(30),
    /** The reconnect delay browsers are told (jittered up to +50 %). */
    GATE_PUSH_RETRY_MS: env.int(100, 600_000).default(3_000),
    /** Status reads for streams in flight at most (a sold-out re-reads every stream). */
    GATE_PUSH_READ_CONCURRENCY: env.int(1, 10_000).default(64),
    SHUTDOWN_TIMEOUT_MS: env.int(100, 600_000).default(20_000),
    SHUTDOWN_DRAIN_MS: env.int(0, 300_000).default(0),
    /** Test hook only: wait this long between admitting shoppers and sending their requests. */
    DISPATCH_TEST_HOLD_AFTER_ADMIT_MS: env.int(0, 3_600_000).default(0),
  })
  // Checked even when other settings are wrong, as a missing required variable is.
  .refine((s) => s.REDIS_URL !== undefined || s.REDIS_CLUSTER_NODES !== undefined, {
    path: ['REDIS_URL'],
    message: 'is required (or REDIS_CLUSTER_NODES, the seed nodes of a Redis Cluster)',
    when: () => true,
  })
  .superRefine((s, ctx) => {
    refineKafkaSecurity(s, ctx);
    refineKafkaTopics(s, ctx);
    for (const issue of redisSettingsIssues(s))
      ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
    if (s.REDIS_CLUSTER_NODES && s.REDIS_CLUSTER_REPLICA_WAIT_MS >= s.REDIS_COMMAND_TIMEOUT_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_CLUSTER_REPLICA_WAIT_MS'],
        message: `must be shorter than REDIS_COMMAND_TIMEOUT_MS (${s.REDIS_COMMAND_TIMEOUT_MS}): the WAIT is a Redis command`,
      });
    if ((s.EVENTS_CONFIGMAP === undefined) === (s.EVENTS_FILE === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['EVENTS_CONFIGMAP'],
        message: 'set exactly one of EVENTS_CONFIGMAP (<namespace>/<name>) and EVENTS_FILE',
      });
    }
    if (s.IDENTITY_MODE === 'jwt' && !s.JWT_SECRET === !s.JWT_PUBLIC_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'IDENTITY_MODE=jwt needs exactly one of JWT_SECRET and JWT_PUBLIC_KEY',
      });
    }
    if (s.IDENTITY_MODE === 'jwt' && !s.JWT_SECRET !== !s.JWT_PUBLIC_KEY) {
      try {
        jwtAlgorithmsFor({
          secret: s.JWT_SECRET,
          publicKey: s.JWT_PUBLIC_KEY,
          algorithms: s.JWT_ALGORITHMS,
        });
      } catch (error) {
        if (!(error instanceof JwtConfigError)) throw error;
        ctx.addIssue({ code: 'custom', path: [error.setting], message: error.message });
      }
    }
    for (const name of ['TICKET_PREVIOUS_SECRETS', 'TICKET_LEGACY_ACCEPT_UNTIL'] as const) {
      if (s[name] !== undefined && s.TICKET_SECRET === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'needs TICKET_SECRET (without it every replica signs with a random key)',
        });
    }
    if (s.POW_HMAC_KEY !== undefined && s.POW_HMAC_KEY_FILE !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['POW_HMAC_KEY_FILE'],
        message: 'set POW_HMAC_KEY or POW_HMAC_KEY_FILE, not both',
      });
    if (
      s.POW_PREVIOUS_HMAC_KEYS !== undefined &&
      s.POW_HMAC_KEY === undefined &&
      s.POW_HMAC_KEY_FILE === undefined
    )
      ctx.addIssue({
        code: 'custom',
        path: ['POW_PREVIOUS_HMAC_KEYS'],
        message:
          'needs POW_HMAC_KEY or POW_HMAC_KEY_FILE (without one every replica signs with a random key)',
      });
    if (s.SHUTDOWN_DRAIN_MS >= s.SHUTDOWN_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['SHUTDOWN_DRAIN_MS'],
        message: `must be shorter than SHUTDOWN_TIMEOUT_MS (${s.SHUTDOWN_TIMEOUT_MS}), which includes it`,
      });
    }
    // Fail closed: the internal API purges any tenant's queue. Without a token only
    // processes of this machine may reach it.
    const adminHost = s.GATE_ADMIN_HOST ?? s.GATE_HOST;
    if (s.ADMIN_TOKEN === undefined && !LOOPBACK.has(adminHost)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_TOKEN'],
        message: `is required: the internal API (stats, and the purge of any tenant's queue) listens on ${adminHost}; set a token of 16+ characters (the chart always does), or bind it to loopback (GATE_ADMIN_HOST=127.0.0.1)`,
      });
    }
    if (s.GATE_COUPONS_ENABLED && s.GATE_COUPONS_GROUP_ID === s.KAFKA_GROUP_ID) {
      ctx.addIssue({
        code: 'custom',
        path: ['GATE_COUPONS_GROUP_ID'],
        message: `must differ from KAFKA_GROUP_ID (${s.KAFKA_GROUP_ID}): the results consumer's group reads another topic`,
      });
    }
    if (s.GATE_PORT === s.GATE_ADMIN_PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['GATE_ADMIN_PORT'],
        message: 'must differ from GATE_PORT',
      });
    }
  });

export type GateSettings = z.output<typeof gateSettingsSchema>;

export function loadGateSettings(
  source: Readonly<Record<string, string | undefined>>,
): GateSettings {
  return loadEnvConfig(gateSettingsSchema, source, 'gate');
}
