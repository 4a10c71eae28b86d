// The benchmark's baseline: a bare fastify + ioredis server doing what the gate's hot
// path does at its core, one EVALSHA of the same Lua script per request, and nothing
// else (no validation, identity, rate limit, shedding, metrics or schemas). The gate is
// measured against it in the same run. Same ioredis options as the gate.
//   BASELINE_PORT, REDIS_URL, BENCH_TENANT, BENCH_EVENT_ID
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { eventKeys } from '@rediclaim/core';
import { repoRoot } from '../testing/env.js';

interface GateScripts {
  scriptSource(name: string): string;
}

const port = Number(process.env.BASELINE_PORT ?? 0);
const tenant = process.env.BENCH_TENANT ?? 'bench';
const eventId = process.env.BENCH_EVENT_ID ?? 'bench';
const k = eventKeys(tenant, eventId);

// The gate's own script files (built gate: gate/dist), so both call identical Lua.
const scripts = (await import(
  pathToFileURL(path.join(repoRoot, 'gate/dist/redis/scripts.js')).href
)) as GateScripts;

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  enableAutoPipelining: true,
  maxRetriesPerRequest: 1,
});
redis.defineCommand('benchEnqueue', { numberOfKeys: 6, lua: scripts.scriptSource('enqueue') });
redis.defineCommand('benchStatus', { numberOfKeys: 5, lua: scripts.scriptSource('status') });
const call = redis as unknown as Record<
  string,
  (...args: (string | number)[]) => Promise<unknown[]>
>;

const app = Fastify({ logger: false });

app.post<{ Querystring: { userId: string } }>('/gate/events/:eventId/enqueue', async (request) => {
  const reply = await call.benchEnqueue!(
    k.queue,
    k.seq,
    k.inflight,
    k.results,
    k.stats,
    k.tombstone,
    request.query.userId,
    100_000_000,
    1,
    50_000_000,
    '',
    '',
  );
  return { status: reply[3] === 1 ? 'ENQUEUED' : 'ALREADY_ENQUEUED', rank: reply[1] };
});

app.get<{ Querystring: { userId: string } }>('/gate/events/:eventId/rank', async (request) => {
  const reply = await call.benchStatus!(
    k.queue,
    k.inflight,
    k.results,
    k.stats,
    k.tombstone,
    request.query.userId,
    100_000_000,
    '',
  );
  return { status: reply[0] === 'QUEUED' ? 'WAITING' : String(reply[0]), rank: reply[1] ?? null };
});

app.get('/healthz', async () => ({ status: 'ok' }));

await app.listen({ port, host: '127.0.0.1' });
const shutdown = () =>
  void app
    .close()
    .then(() => redis.quit())
    .then(() => process.exit(0));
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
