import type { Redis } from 'ioredis';
import type { EventKeys } from '@rediclaim/core';
import { freePorts, startService, type ServiceProcess } from '@rediclaim/hack/testing';
import { GateScripts } from '@rediclaim/gate';

export interface GateProcess extends ServiceProcess {
  url: string;
  adminUrl: string;
}

/** A gate as production runs it (node gate/dist/main.js), on free loopback ports. */
export async function spawnGate(env: Record<string, string>): Promise<GateProcess> {
  const [port, adminPort] = await freePorts(2);
  const proc = await startService(
    'gate',
    { ...env, GATE_PORT: String(port), GATE_ADMIN_PORT: String(adminPort), GATE_HOST: '127.0.0.1' },
    { readyUrl: `http://127.0.0.1:${adminPort}/readyz`, timeoutMs: 60_000 },
  );
  return { ...proc, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}` };
}

/**
 * Fills an event's queue through the enqueue script itself (pipelined), far faster than
 * HTTP: tests of the dispatcher need thousands of shoppers waiting.
 */
export async function fillQueue(
  redis: Redis,
  k: EventKeys,
  users: string[],
  stock = 100_000_000,
): Promise<void> {
  const scripts = new GateScripts(redis);
  for (let i = 0; i < users.length; i += 1000) {
    await scripts.enqueueMany(
      users.slice(i, i + 1000).map((userId) => ({
        keys: k,
        args: {
          userId,
          stock,
          perUserLimit: 1,
          maxQueueLength: 100_000_000,
          preQueueTicket: '',
          uid: '',
        },
      })),
    );
  }
}

/** A counter of a gate's Prometheus text, summed over its label sets. */
export async function metricSum(adminUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.split(' ').pop());
  return sum;
}
