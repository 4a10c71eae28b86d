import type { DataSource } from 'typeorm';

/**
 * Whether the database answers, for readiness. Bounded: a server that accepts the
 * connection but never answers must turn readiness false, not hang the probe.
 */
export async function pingDatabase(ds?: DataSource): Promise<{ ok: boolean; detail?: string }> {
  if (!ds?.isInitialized) return { ok: false, detail: 'not connected yet' };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ds.query('SELECT 1'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer within 2s')), 2_000);
      }),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
