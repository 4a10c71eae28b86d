import type { ConnectionOptions } from 'node:tls';
import type { RedisOptions } from 'ioredis';
import { endpointName, type Endpoint } from '@rediclaim/core';
import type { PemCertificates, PemPrivateKey } from '../setting-files.js';

/** The settings that say where Redis is and how to reach it (settings.ts reads them). */
export interface RedisConnectionSettings {
  /** One Redis (or a proxy in front of many); not with REDIS_CLUSTER_NODES. */
  REDIS_URL?: string | undefined;
  /** Seed nodes of a Redis Cluster: set, the gate talks Cluster (client.ts). */
  REDIS_CLUSTER_NODES?: readonly RedisNode[] | undefined;
  REDIS_USERNAME?: string | undefined;
  REDIS_PASSWORD?: string | undefined;
  /** The file's text (settings read it). */
  REDIS_PASSWORD_FILE?: string | undefined;
  REDIS_TLS_CA?: PemCertificates | undefined;
  REDIS_TLS_CERT?: PemCertificates | undefined;
  REDIS_TLS_KEY?: PemPrivateKey | undefined;
  REDIS_TLS_SERVERNAME?: string | undefined;
}

export const REDIS_TLS_SETTINGS = [
  'REDIS_TLS_CA',
  'REDIS_TLS_CERT',
  'REDIS_TLS_KEY',
  'REDIS_TLS_SERVERNAME',
] as const;

/** One node of a Redis Cluster, as REDIS_CLUSTER_NODES lists it. */
export type RedisNode = Endpoint;

/** The password the settings give (REDIS_PASSWORD_FILE is read into the same string). */
const passwordOf = (s: RedisConnectionSettings): string | undefined =>
  s.REDIS_PASSWORD ?? s.REDIS_PASSWORD_FILE;

export interface SettingIssue {
  path: keyof RedisConnectionSettings;
  message: string;
}

/**
 * What is wrong with a combination of Redis settings. Each mistake here would otherwise
 * be ignored without a word: TLS options on a plaintext URL, a user without a password
 * (ioredis sends no AUTH then), credentials in two places.
 */
export function redisSettingsIssues(s: RedisConnectionSettings): SettingIssue[] {
  if (s.REDIS_CLUSTER_NODES !== undefined) return clusterSettingsIssues(s);
  const issues: SettingIssue[] = [];
  if (s.REDIS_URL === undefined) return issues; // settings.ts: one of the two is required.
  let url: URL;
  try {
    url = new URL(s.REDIS_URL);
  } catch {
    return issues; // REDIS_URL's own check says so.
  }
  const tls = url.protocol === 'rediss:';
  if (!tls) {
    for (const name of REDIS_TLS_SETTINGS)
      if (s[name] !== undefined)
        issues.push({
          path: name,
          message:
            'needs a rediss:// REDIS_URL: with redis:// the connection is plaintext and this setting would be ignored',
        });
  }
  if (url.search !== '' || url.hash !== '')
    issues.push({
      path: 'REDIS_URL',
      message:
        'must not have a query or fragment: the connection is configured by the REDIS_* settings (README)',
    });
  if (!/^\/?(\d{1,2})?$/.test(url.pathname) || Number(url.pathname.slice(1) || 0) > 15)
    issues.push({ path: 'REDIS_URL', message: 'names a database 0 to 15 (/0) or none' });
  if ((s.REDIS_TLS_CERT === undefined) !== (s.REDIS_TLS_KEY === undefined)) {
    issues.push({
      path: s.REDIS_TLS_CERT ? 'REDIS_TLS_KEY' : 'REDIS_TLS_CERT',
      message: 'REDIS_TLS_CERT and REDIS_TLS_KEY go together (the client certificate and its key)',
    });
  } else if (
    s.REDIS_TLS_CERT &&
    s.REDIS_TLS_KEY &&
    !s.REDIS_TLS_CERT.first.checkPrivateKey(s.REDIS_TLS_KEY.key)
  ) {
    issues.push({
      path: 'REDIS_TLS_KEY',
      message: `${s.REDIS_TLS_KEY.path} is not the private key of REDIS_TLS_CERT (${s.REDIS_TLS_CERT.path})`,
    });
  }
  const password = passwordOf(s);
  if (
    (url.username !== '' || url.password !== '') &&
    (s.REDIS_USERNAME !== undefined || password !== undefined)
  )
    issues.push({
      path: 'REDIS_URL',
      message:
        'carries a user or password while REDIS_USERNAME/REDIS_PASSWORD(_FILE) are set: keep the credentials out of the URL',
    });
  issues.push(...credentialIssues(s));
  return issues;
}

/** A Cluster's settings: its seed nodes alone, plaintext, the credentials as for one Redis. */
function clusterSettingsIssues(s: RedisConnectionSettings): SettingIssue[] {
  const issues: SettingIssue[] = [];
  if (s.REDIS_URL !== undefined)
    issues.push({
      path: 'REDIS_CLUSTER_NODES',
      message:
        'set one of REDIS_URL (one Redis) and REDIS_CLUSTER_NODES (a Redis Cluster), not both',
    });
  for (const name of REDIS_TLS_SETTINGS)
    if (s[name] !== undefined)
      issues.push({
        path: name,
        message:
          'is not supported with REDIS_CLUSTER_NODES: the gate reaches a Redis Cluster in plaintext (README, Redis Cluster)',
      });
  issues.push(...credentialIssues(s));
  return issues;
}

function credentialIssues(s: RedisConnectionSettings): SettingIssue[] {
  const issues: SettingIssue[] = [];
  if (s.REDIS_PASSWORD !== undefined && s.REDIS_PASSWORD_FILE !== undefined)
    issues.push({
      path: 'REDIS_PASSWORD_FILE',
      message: 'set one of REDIS_PASSWORD and REDIS_PASSWORD_FILE, not both',
    });
  if (s.REDIS_USERNAME !== undefined && passwordOf(s) === undefined)
    issues.push({
      path: 'REDIS_USERNAME',
      message: 'needs REDIS_PASSWORD or REDIS_PASSWORD_FILE (without a password no user is sent)',
    });
  return issues;
}

/**
 * ioredis options for the settings, the URL taken apart here rather than by ioredis: a
 * URL's own values would win over these options, and TLS is on exactly when the URL is
 * rediss:// (never a plaintext fallback). `duplicate()` copies them, so every
 * connection of the gate (commands, the push subscriber, the rate limiter's) is alike.
 */
export function redisConnectionOptions(s: RedisConnectionSettings): RedisOptions {
  if (s.REDIS_URL === undefined) throw new Error('redisConnectionOptions: REDIS_URL is not set');
  const url = new URL(s.REDIS_URL);
  const username = s.REDIS_USERNAME ?? (url.username ? decodeURIComponent(url.username) : '');
  const password = passwordOf(s) ?? (url.password ? decodeURIComponent(url.password) : '');
  const options: RedisOptions = {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 6379,
    db: Number(url.pathname.slice(1) || 0),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
  if (url.protocol === 'rediss:') {
    const tls: ConnectionOptions = {
      // Node's default already; said here because it is the point.
      rejectUnauthorized: true,
      ...(s.REDIS_TLS_CA ? { ca: s.REDIS_TLS_CA.pem } : {}),
      ...(s.REDIS_TLS_CERT && s.REDIS_TLS_KEY
        ? { cert: s.REDIS_TLS_CERT.pem, key: s.REDIS_TLS_KEY.pem }
        : {}),
      ...(s.REDIS_TLS_SERVERNAME ? { servername: s.REDIS_TLS_SERVERNAME } : {}),
    };
    options.tls = tls;
  }
  return options;
}

/** The options every node of a Redis Cluster gets: the credentials (the nodes are the cluster's). */
export function redisClusterNodeOptions(s: RedisConnectionSettings): RedisOptions {
  const password = passwordOf(s);
  return {
    ...(s.REDIS_USERNAME ? { username: s.REDIS_USERNAME } : {}),
    ...(password ? { password } : {}),
  };
}

/** Where the gate's Redis is, for messages: never the password. */
export function describeRedis(s: RedisConnectionSettings): string {
  if (s.REDIS_CLUSTER_NODES) {
    const seeds = s.REDIS_CLUSTER_NODES.map(endpointName).join(', ');
    return `the Redis Cluster of seed nodes ${seeds}${s.REDIS_USERNAME ? ` as user ${s.REDIS_USERNAME}` : ''}`;
  }
  const url = new URL(s.REDIS_URL ?? '');
  const user = s.REDIS_USERNAME ?? (url.username ? decodeURIComponent(url.username) : undefined);
  return `${url.protocol}//${url.host}${user ? ` as user ${user}` : ''}`;
}
