import type { SslOptions } from 'mysql2';

/**
 * What a connection to MySQL proves, named as MySQL's own clients name their `--ssl-mode`.
 * There is no "preferred": a mode that falls back to plaintext when the server offers no
 * TLS would let anyone on the path turn it off.
 */
export const MYSQL_TLS_MODES = ['disabled', 'required', 'verify-ca', 'verify-identity'] as const;
export type MysqlTlsMode = (typeof MYSQL_TLS_MODES)[number];

/** The TLS of every connection the issuer opens to MySQL: the mode and the PEM files' contents. */
export interface MysqlTls {
  mode: MysqlTlsMode;
  /** The authorities the server's certificate must chain to (verify-ca, verify-identity). */
  ca?: Buffer;
  /** A client certificate and its key, for servers that ask for one (REQUIRE X509). */
  cert?: Buffer;
  key?: Buffer;
}

/**
 * mysql2's `ssl` option for the mode, undefined for plaintext. With any `ssl` at all mysql2
 * refuses a server that does not offer TLS (HANDSHAKE_NO_SSL_SUPPORT) before it sends the
 * credentials: none of these modes ever falls back to plaintext. A new object each call:
 * mysql2 writes into it and caches its secure context per object.
 */
export function sslOptions(tls: MysqlTls | undefined): SslOptions | undefined {
  if (!tls || tls.mode === 'disabled') return undefined;
  const client = tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {};
  if (tls.mode === 'required') return { ...client, rejectUnauthorized: false };
  return {
    ...client,
    ...(tls.ca ? { ca: tls.ca } : {}),
    rejectUnauthorized: true,
    verifyIdentity: tls.mode === 'verify-identity',
  };
}
