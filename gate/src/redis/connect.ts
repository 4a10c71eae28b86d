import { ErrorCode, RediclaimError } from '@rediclaim/core';
import type { RedisClient } from './client.js';
import { describeRedis, type RedisConnectionSettings } from './connection-options.js';

/** The server's certificate chain does not lead to an authority the gate trusts. */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

/**
 * The first connection, with a reason a person can act on when it fails. ioredis
 * rejects connect() with a bare "Connection is closed." and tells the cause only to
 * 'error' listeners: that cause (a certificate not trusted, WRONGPASS) is the message.
 */
export async function connectRedis(redis: RedisClient, s: RedisConnectionSettings): Promise<void> {
  let cause: unknown;
  const remember = (error: unknown) => (cause ??= error);
  redis.on('error', remember);
  try {
    await redis.connect();
  } catch (error) {
    cause ??= error;
    const code = (cause as NodeJS.ErrnoException).code;
    throw new RediclaimError(
      ErrorCode.Unavailable,
      `cannot connect to Redis at ${describeRedis(s)}: ${explainRedisError(cause, s)}`,
      code ? { code } : undefined,
      { cause },
    );
  } finally {
    redis.off('error', remember);
  }
}

/** Why the connection failed, and which setting to look at. */
export function explainRedisError(error: unknown, s: RedisConnectionSettings): string {
  // A Cluster that reached none of its nodes says why in the last node's error.
  const last = (error as { lastNodeError?: unknown } | undefined)?.lastNodeError;
  if (last) return `${explainRedisError(last, s)} (no node of the cluster answered)`;
  // Not instanceof Error: errors of Node's own realm are not, under a test runner's vm.
  const text = (error as { message?: unknown } | undefined)?.message;
  const message = typeof text === 'string' ? text : String(error);
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const tls = s.REDIS_URL?.startsWith('rediss:') ?? false;
  if (UNTRUSTED.has(code))
    return `the server's certificate is not trusted (${code}: ${message}); REDIS_TLS_CA names the authority that signed it (${s.REDIS_TLS_CA ? `now ${s.REDIS_TLS_CA.path}` : "unset: the system's authorities"})`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return `the server's certificate is outside its validity period (${code})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the server's certificate is not for the name connected to (${message}); use a name it has in REDIS_URL, or set REDIS_TLS_SERVERNAME`;
  if (tls && /wrong version number|packet length too long|ERR_SSL/i.test(`${code} ${message}`))
    return `the server does not speak TLS there (${message}); a plaintext Redis is redis://`;
  if (tls && code === 'ETIMEDOUT')
    return `no TLS session within the connect timeout (${message}): the server may not speak TLS on that port (a plaintext Redis is redis://), or not be reachable`;
  if (message.startsWith('WRONGPASS'))
    return `Redis refused the user and password (${message}); check REDIS_USERNAME and REDIS_PASSWORD or REDIS_PASSWORD_FILE`;
  if (message.startsWith('NOAUTH'))
    return `Redis wants a user and password (${message}); set REDIS_USERNAME and REDIS_PASSWORD_FILE`;
  if (message.startsWith('NOPERM'))
    return `the Redis user may not run a command the gate needs (${message}); see the gate README's Redis ACL`;
  if (!tls && (code === 'ECONNRESET' || /Connection is closed/.test(message)))
    return `the server closed the connection before answering (${message || code}); a Redis that speaks TLS is rediss://`;
  return message || code;
}
