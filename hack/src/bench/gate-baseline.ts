// The benchmark's baseline: a bare fastify + ioredis server doing what the gate's hot
// path does at its core, one EVALSHA of the same Lua script per request, and nothing
// else (no validation, identity, rate limit, shedding, metrics or schemas). The gate is
// measured against it in the same run. Same ioredis options as the gate.
//   BASELINE_PORT, REDIS_URL, BENCH_TENANT, BENCH_EVENT_ID
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { eventKeys } from '@rediclaim/core';
import { GateScripts } from '@rediclaim/gate';

const port = Number(process.env.BASELINE_PORT ?? 0);
const tenant = process.env.BENCH_TENANT ?? 'bench';
const eventId = process.env.BENCH_EVENT_ID ?? 'bench';
const k = eventKeys(tenant, eventId);

// The gate's own script layer, so both servers make the identical Lua call.
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  enableAutoPipelining: true,
  maxRetriesPerRequest: 1,
});
const scripts = new GateScripts(redis);

const app = Fastify({ logger: false });

app.post<{ Querystring: { userId: string } }>('/gate/events/:eventId/enqueue', async (request) => {
  const reply = await scripts.enqueue(k, {
    userId: request.query.userId,
    stock: 100_000_000,
    perUserLimit: 1,
    maxQueueLength: 50_000_000,
    preQueueTicket: '',
    uid: '',
  });
  return reply.kind === 'QUEUED'
    ? { status: reply.joinedNow ? 'ENQUEUED' : 'ALREADY_ENQUEUED', rank: reply.rank }
    : { status: reply.kind };
});

app.get<{ Querystring: { userId: string } }>('/gate/events/:eventId/rank', async (request) => {
  const reply = await scripts.status(k, {
    userId: request.query.userId,
    stock: 100_000_000,
    uid: '',
  });
  return reply.kind === 'QUEUED'
    ? { status: 'WAITING', rank: reply.rank }
    : { status: reply.kind, rank: null };
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
