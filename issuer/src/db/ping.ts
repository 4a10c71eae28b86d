import type { DataSource } from 'typeorm';

/** A ping gets this long: a server that accepts the connection but never answers is down too. */
export const PING_TIMEOUT_MS = 2_000;

/**
 * Resolves when the database answers `SELECT 1` through the issuer's own pool (the one
 * the transactions use), throws the driver's error otherwise. Bounded: a hung server
 * must turn readiness false, not hang the probe.
 */
export async function pingDatabase(ds: DataSource, timeoutMs = PING_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ds.query('SELECT 1'),
      new Promise((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              Object.assign(new Error(`no answer to SELECT 1 within ${timeoutMs} ms`), {
                code: 'PING_TIMEOUT',
              }),
            ),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
