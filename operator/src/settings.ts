import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import {
  CONFIG_SHARD_MAX_BYTES,
  DefaultTopics,
  configShardsSchema,
  env,
  kafkaSecuritySettings,
  loadEnvConfig,
  refineKafkaSecurity,
  refineKafkaTopics,
  kafkaTopicSettings,
} from '@rediclaim/core';

/** Where a pod finds its own namespace: the default platform namespace in a cluster. */
const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

const namespaceName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a Kubernetes namespace name')
  .max(63);
const objectName = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
    'must be a Kubernetes object name (lower-case letters, digits, "-" and ".")',
  )
  .max(253);

/**
 * The operator's settings, one environment variable each (core/CONTRACTS.md names the shared
 * ones). KUBECONFIG is read by the Kubernetes client itself (or the in-cluster account).
 */
export const settingsSchema = z
  .object({
    OPERATOR_ADMIN_PORT: env.port().default(9092),
    OPERATOR_ADMIN_HOST: z.string().default('0.0.0.0'),
    WATCH_NAMESPACES: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(namespaceName)),
    PLATFORM_NAMESPACE: namespaceName,
    /** The base name of the gate's ConfigMaps: shards are `<name>-0` … `<name>-<N-1>`. */
    EVENTS_CONFIGMAP_NAME: objectName.default('rediclaim-events'),
    /** Must equal the gate's EVENTS_CONFIG_SHARDS: both derive the same names and placement. */
    EVENTS_CONFIG_SHARDS: configShardsSchema,
    /**
     * What one shard may hold, KiB: the API server refuses objects past 1 MiB (less where
     * etcd's --max-request-bytes is lower); metadata and JSON quoting need the rest.
     */
    EVENTS_CONFIG_SHARD_MAX_KIB: env.int(1, 1000).default(CONFIG_SHARD_MAX_BYTES / 1024),
    /** CouponEvents one namespace may have served at once; 0: no limit. */
    MAX_EVENTS_PER_NAMESPACE: z.coerce
      .number()
      .int('must be a whole number of CouponEvents')
      .min(0, 'must be 0 (no limit) or more')
      .max(100_000, 'must be at most 100000 (or 0 for no limit)')
      .default(100),
    ISSUER_DEPLOYMENT_NAME: objectName.default('rediclaim-issuer'),
    ISSUER_MIN_REPLICAS: env.int(0, 1000).default(1),
    ISSUER_MAX_REPLICAS: env.int(1, 1000).default(8),
    GATE_ADMIN_URL: env.url(['http', 'https']),
    GATE_TIMEOUT_SECONDS: env.number(0.1, 60).default(3),
    GATE_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    KAFKA_BROKERS: env.list().optional(),
    ...kafkaSecuritySettings,
    KAFKA_CLIENT_ID: z.string().min(1).default('rediclaim-operator'),
    TOPIC_ISSUE_REQUESTS: z.string().min(1).default(DefaultTopics.issueRequests),
    TOPIC_ISSUE_RESULTS: z.string().min(1).default(DefaultTopics.issueResults),
    ...kafkaTopicSettings,
    LEASE_NAME: objectName.default('rediclaim-operator'),
    LEASE_DURATION_SECONDS: env.int(1, 3600).default(15),
    LEASE_RENEW_DEADLINE_SECONDS: env.number(0.1, 3600).default(10),
    LEASE_RETRY_PERIOD_SECONDS: env.number(0.05, 600).default(2),
    POD_NAME: z.string().min(1).max(128).default(`${hostname()}_${process.pid}`),
    RESYNC_SECONDS: env.number(1, 86_400).default(300),
    PLATFORM_RESYNC_SECONDS: env.number(0.5, 86_400).default(30),
    STATS_POLL_SECONDS: env.number(0.2, 3600).default(3),
    /** Reconciles wait on the API server far more than they compute: many run at once. */
    RECONCILE_CONCURRENCY: env.int(1, 256).default(64),
    LOG_LEVEL: env.logLevel(),
  })
  .superRefine((s, ctx) => {
    refineKafkaSecurity(s, ctx);
    refineKafkaTopics(s, ctx);
    const longest = `${s.EVENTS_CONFIGMAP_NAME}-${s.EVENTS_CONFIG_SHARDS - 1}`;
    if (longest.length > 253)
      ctx.addIssue({
        code: 'custom',
        path: ['EVENTS_CONFIGMAP_NAME'],
        message: `is too long for its shards: ${longest.length} characters in "${longest}", at most 253`,
      });
    if (s.ISSUER_MIN_REPLICAS > s.ISSUER_MAX_REPLICAS)
      ctx.addIssue({
        code: 'custom',
        path: ['ISSUER_MIN_REPLICAS'],
        message: `must not exceed ISSUER_MAX_REPLICAS (${s.ISSUER_MAX_REPLICAS})`,
      });
    // The leader must give up before anyone else may take over, and retry several times
    // within its deadline (client-go's rules for the same three durations).
    if (s.LEASE_RENEW_DEADLINE_SECONDS >= s.LEASE_DURATION_SECONDS)
      ctx.addIssue({
        code: 'custom',
        path: ['LEASE_RENEW_DEADLINE_SECONDS'],
        message: `must be less than LEASE_DURATION_SECONDS (${s.LEASE_DURATION_SECONDS})`,
      });
    if (s.LEASE_RETRY_PERIOD_SECONDS >= s.LEASE_RENEW_DEADLINE_SECONDS)
      ctx.addIssue({
        code: 'custom',
        path: ['LEASE_RETRY_PERIOD_SECONDS'],
        message: `must be less than LEASE_RENEW_DEADLINE_SECONDS (${s.LEASE_RENEW_DEADLINE_SECONDS})`,
      });
  });

export type Settings = z.output<typeof settingsSchema>;

function podNamespace(): string | undefined {
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Reads and checks the settings; throws INVALID_CONFIG naming every bad variable. */
export function loadSettings(source: Readonly<Record<string, string | undefined>>): Settings {
  const withDefaults = { ...source };
  // In a pod the platform namespace is the pod's own unless set explicitly.
  if (!withDefaults.PLATFORM_NAMESPACE) withDefaults.PLATFORM_NAMESPACE = podNamespace();
  return loadEnvConfig(settingsSchema, withDefaults, 'operator');
}
