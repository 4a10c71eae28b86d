// What the benchmarks that run issuer processes share: loading admitted requests into
// a topic as the gate would, and starting and stopping node processes with their logs.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Partitioners, type Kafka } from 'kafkajs';
import {
  SIGNATURE_HEADER,
  encodeIssueRequestV1,
  encodeIssueRequests,
  requestIdOf,
  signRecord,
  type IssuePolicy,
  type OutgoingRecord,
  type SigningKey,
} from '@rediclaim/core';

/** How requests travel: v2 batch records of BATCH shoppers, or one v1 record each. */
export type RecordFormat = 'v2' | 'v1';

/**
 * Loads `n` admitted requests of one sale (users user-0.., tickets 1..n) into `topic`,
 * signed as the gate signs them; resolves with the rate it loaded them at.
 */
export async function preload(
  kafka: Kafka,
  topic: string,
  load: {
    tenant: string;
    eventId: string;
    n: number;
    format: RecordFormat;
    batch: number;
    signingKey: SigningKey;
  },
): Promise<number> {
  const { tenant: TENANT, eventId, n, format, batch: BATCH, signingKey: SIGNING_KEY } = load;
  const policy: IssuePolicy = {
    stock: n,
    perUserLimit: 1,
    validity: { validForHours: 24 },
    discount: { type: 'percent', percent: 10 },
    code: { prefix: 'BN-', length: 12 },
    generation: 1,
  };
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const started = Date.now();
  const admittedAt = new Date().toISOString();
  const shopper = (j: number) => ({
    requestId: requestIdOf(TENANT, eventId, `user-${j}`, j + 1),
    userId: `user-${j}`,
    ticket: j + 1,
  });
  try {
    // One send holds 5,000 shoppers either way.
    const chunk = 5_000;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < n; i += chunk) {
      const messages: OutgoingRecord[] = [];
      const end = Math.min(n, i + chunk);
      if (format === 'v1') {
        for (let j = i; j < end; j++) {
          messages.push(
            encodeIssueRequestV1({
              type: 'IssueRequest',
              version: 1,
              tenant: TENANT,
              eventId,
              admittedAt,
              policy,
              ...shopper(j),
            }),
          );
        }
      } else {
        for (let j = i; j < end; j += BATCH) {
          const items = [];
          for (let k = j; k < Math.min(end, j + BATCH); k++) items.push(shopper(k));
          messages.push(
            ...encodeIssueRequests(
              {
                type: 'IssueRequestBatch',
                version: 2,
                tenant: TENANT,
                eventId,
                admittedAt,
                policy,
              },
              items,
            ),
          );
        }
      }
      const signed = messages.map(({ key, value }) => ({
        key,
        value,
        headers: { [SIGNATURE_HEADER]: signRecord(value, SIGNING_KEY) },
      }));
      sends.push(producer.send({ topic, messages: signed, acks: -1 }));
      if (sends.length >= 4) await Promise.all(sends.splice(0));
    }
    await Promise.all(sends);
  } finally {
    await producer.disconnect();
  }
  return (n / (Date.now() - started)) * 1000;
}

export function spawnNode(
  script: string,
  childEnv: Record<string, string>,
  log: string,
): ChildProcess {
  // e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the consumers
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: {
      PATH: process.env.PATH ?? '',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...childEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => chunks.push(d));
  child.stderr!.on('data', (d: Buffer) => chunks.push(d));
  child.once('exit', () => writeFileSync(log, Buffer.concat(chunks)));
  return child;
}

export async function stopAll(processes: ChildProcess[]): Promise<void> {
  await Promise.all(
    processes.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
        }),
    ),
  );
}
