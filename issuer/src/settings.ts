import { hostname } from 'node:os';
import { z } from 'zod';
import { apiKeysSchema } from './http/api-keys.js';
import { mysqlTlsSettings, refineMysqlTls } from './db/tls-settings.js';
import { mysqlHostsSchema, refineMysqlHosts } from './db/mysql-hosts.js';
import {
  DEFAULT_COUPONS_TOPIC,
  DefaultTopics,
  env,
  kafkaSecuritySettings,
  loadEnvConfig,
  refineKafkaSecurity,
  refineKafkaTopics,
  kafkaTopicSettings,
  signatureModeSchema,
  signingKeysSchema,
  type Topics,
} from '@rediclaim/core';

/**
 * The issuer's settings, one environment variable each (core/CONTRACTS.md names the shared
 * ones). Every default is what a production replica should run with; the tuning knobs
 * exist for benchmarks and unusual brokers, not for everyday use.
 */
export const settingsSchema = z
  .object({
    /** 0 picks a free port (logged): for tests running several issuers. */
    ISSUER_ADMIN_PORT: env.int(0, 65_535).default(9091),
    ISSUER_ADMIN_HOST: z.string().min(1).default('0.0.0.0'),
    /** The redemption API (shops' checkouts): served only when REDEMPTION_API_KEYS is set. */
    ISSUER_API_PORT: env.int(0, 65_535).default(8092),
    ISSUER_API_HOST: z.string().min(1).default('0.0.0.0'),
    /** `tenant=token,...` (`*=token`: every tenant); tokens of 32 characters or more. */
    REDEMPTION_API_KEYS: apiKeysSchema.optional(),
    MYSQL_URL: env.url(['mysql', 'mariadb']).refine((v) => !URL.parse(v)?.search, {
      message:
        'must not carry parameters (?...): they would be ignored; TLS is set with MYSQL_TLS_MODE and MYSQL_TLS_CA',
    }),
    /**
     * `host:port,...`: every server that may be the primary, MYSQL_URL's among them; each
     * connection goes to the one that takes writes (read_only off), found again after a
     * failover (README.md, "MySQL failover"). Unset: MYSQL_URL's server alone.
     */
    MYSQL_HOSTS: mysqlHostsSchema,
    /** disabled | required (encrypted, server unchecked) | verify-ca | verify-identity; README.md. */
    ...mysqlTlsSettings,
    /** auto asks the server (SELECT VERSION()); TypeORM must know MariaDB from MySQL 8. */
    MYSQL_DIALECT: z.enum(['auto', 'mysql', 'mariadb']).default('auto'),
    MYSQL_POOL_SIZE: env.int(2, 200).default(8),
    MYSQL_QUERY_TIMEOUT_MS: env.int(100, 600_000).default(30_000),
    /** How often the database is checked while it answers (during an outage: the retry backoff). */
    MYSQL_CHECK_INTERVAL_MS: env.int(100, 600_000).default(5_000),
    MIGRATE_ON_START: env.bool().default(true),
    COUPON_CODE_SECRET: z
      .string()
      .min(16, 'must be at least 16 characters: coupon codes are only as unguessable as it is'),
    /**
     * The keys gates sign issue requests with (`id=secret,...`): a request record whose
     * signature matches none of them is a dead letter, so nobody else who can produce to
     * the topic can mint coupons.
     */
    REQUEST_SIGNING_KEYS: signingKeysSchema.optional(),
    /** optional: unsigned records are decided too (upgrading from gates that do not sign). */
    REQUEST_SIGNATURES: signatureModeSchema.default('required'),
    KAFKA_BROKERS: env.list(),
    ...kafkaSecuritySettings,
    KAFKA_CLIENT_ID: z.string().min(1).default(`rediclaim-issuer-${hostname()}`),
    KAFKA_GROUP_ID: z.string().min(1).default('rediclaim-issuer'),
    TOPIC_ISSUE_REQUESTS: z.string().min(1).default(DefaultTopics.issueRequests),
    TOPIC_ISSUE_RESULTS: z.string().min(1).default(DefaultTopics.issueResults),
    TOPIC_DEAD_LETTERS: z.string().min(1).default(DefaultTopics.deadLetters),
    ...kafkaTopicSettings,
    /** Partitions whose batches are handled at once; their requests share transactions. */
    ISSUER_PARTITIONS_CONCURRENCY: env.int(1, 1_000).default(12),
    ISSUER_FETCH_MAX_BYTES: env.int(1_024, 256 * 1024 * 1024).default(4 * 1024 * 1024),
    ISSUER_FETCH_MAX_BYTES_PER_PARTITION: env.int(1_024, 64 * 1024 * 1024).default(1024 * 1024),
    ISSUER_FETCH_MIN_BYTES: env.int(1, 16 * 1024 * 1024).default(1),
    ISSUER_FETCH_MAX_WAIT_MS: env.int(0, 30_000).default(100),
    /** Requests fetched but not yet committed, at most (a v2 record counts its items): bounds memory while the database is slow. */
    ISSUER_MAX_IN_FLIGHT_MESSAGES: env.int(1, 10_000_000).default(30_000),
    /** Requests decided in one transaction at most (more wait for the next one). */
    ISSUER_MAX_TRANSACTION_REQUESTS: env.int(1, 1_000_000).default(20_000),
    ISSUER_RETRY_BASE_MS: env.int(1, 60_000).default(100),
    ISSUER_RETRY_MAX_MS: env.int(1, 600_000).default(5_000),
    /** On SIGTERM, how long the batch in hand may take to finish before it is abandoned. */
    ISSUER_SHUTDOWN_TIMEOUT_MS: env.int(0, 600_000).default(10_000),
    // The outbox relay (outbox/relay.ts): one replica at a time publishes the coupons'
    // lifecycle events from coupon_outbox to TOPIC_COUPONS.
    /** false: this replica never relays (another replica, or nobody, does). */
    OUTBOX_RELAY: env.bool().default(true),
    /** How long the active relay waits after finding less than a full batch. */
    OUTBOX_POLL_INTERVAL_MS: env.int(10, 60_000).default(200),
    /** Outbox rows read at a time (a CouponsIssued row holds a whole transaction's coupons). */
    OUTBOX_BATCH_ROWS: env.int(1, 10_000).default(100),
    /** Published rows are deleted after this long (0: at the next purge). */
    OUTBOX_RETENTION_HOURS: env.int(0, 24 * 365 * 10).default(168),
    TOPIC_COUPONS: z.string().min(1).default(DEFAULT_COUPONS_TOPIC),
    /** An event's metric series are dropped after this long without a decision or redemption. */
    ISSUER_EVENT_SERIES_TTL_SECONDS: env.int(60, 30 * 24 * 3600).default(3600),
    LOG_LEVEL: env.logLevel(),
  })
  .refine((s) => s.ISSUER_RETRY_BASE_MS <= s.ISSUER_RETRY_MAX_MS, {
    message: 'must not exceed ISSUER_RETRY_MAX_MS',
    path: ['ISSUER_RETRY_BASE_MS'],
  })
  .refine((s) => s.REQUEST_SIGNATURES === 'optional' || s.REQUEST_SIGNING_KEYS !== undefined, {
    message:
      'is required: the keys the gates sign issue requests with (id=secret,...); REQUEST_SIGNATURES=optional also decides unsigned records, while upgrading from gates that do not sign',
    path: ['REQUEST_SIGNING_KEYS'],
  })
  .superRefine(refineKafkaSecurity)
  .superRefine(refineKafkaTopics)
  .superRefine(refineMysqlTls)
  .superRefine(refineMysqlHosts);

export type IssuerSettings = z.output<typeof settingsSchema>;

/** Reads and validates the settings; throws INVALID_CONFIG naming every wrong variable. */
export function loadSettings(
  source: Readonly<Record<string, string | undefined>> = process.env,
): IssuerSettings {
  return loadEnvConfig(settingsSchema, source, 'issuer');
}

export function topicsOf(settings: IssuerSettings): Topics {
  return {
    issueRequests: settings.TOPIC_ISSUE_REQUESTS,
    issueResults: settings.TOPIC_ISSUE_RESULTS,
    deadLetters: settings.TOPIC_DEAD_LETTERS,
  };
}

/** The MySQL URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
