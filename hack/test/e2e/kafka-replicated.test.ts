// A sale on a three-node Kafka cluster (hack/stack's RC_KAFKA_NODES=3) with the topics
// the platform creates replicated three times and min.insync.replicas 2: the broker
// leading the admitted requests is killed with kill -9 mid-sale, and every promise
// still holds. Private servers: killing a broker must not disturb other suites.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { ConfigResourceTypes } from 'kafkajs';
import {
  stackKafka,
  startPrivateStack,
  waitFor,
  type E2E,
  type PrivateStack,
} from '@rediclaim/hack/testing';
import { saleSurvives } from '../support/sale-survives.js';

let stack: PrivateStack;

beforeAll(async () => {
  stack = await startPrivateStack('kafka3', ['redis', 'mariadb', 'kafka', 'apiserver'], {
    kafkaNodes: 3,
  });
}, 240_000);

afterAll(async () => {
  await stack?.destroy();
});

const replicated = { KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2' };

/** The platform's topics of one e2e run, as startE2E names them. */
const topicsOf = (e2e: E2E) => [
  `${e2e.id}.requests`,
  `${e2e.id}.results`,
  `${e2e.id}.dead`,
  `${e2e.id}.coupons`,
];

describe('a sale on a replicated Kafka cluster', () => {
  it('loses nothing when the broker leading its admitted requests is killed with kill -9', async () => {
    const killed: number[] = [];
    await saleSurvives(
      stack,
      'k3-leader',
      async (e2e) => {
        const admin = stackKafka(stack.env).admin();
        await admin.connect();
        try {
          // The services created the topics, laid out by their settings.
          const { topics } = await admin.fetchTopicMetadata({ topics: topicsOf(e2e) });
          for (const topic of topics)
            for (const p of topic.partitions)
              expect([topic.name, p.replicas.length]).toEqual([topic.name, 3]);
          const { resources } = await admin.describeConfigs({
            includeSynonyms: false,
            resources: topicsOf(e2e).map((name) => ({
              type: ConfigResourceTypes.TOPIC,
              name,
              configNames: ['min.insync.replicas'],
            })),
          });
          for (const r of resources)
            expect([r.resourceName, r.configEntries[0]?.configValue]).toEqual([
              r.resourceName,
              '2',
            ]);

          // The node leading most partitions of the admitted requests, killed without warning.
          const requests = topics.find((t) => t.name === `${e2e.id}.requests`)!;
          const leads = new Map<number, number>();
          for (const p of requests.partitions) leads.set(p.leader, (leads.get(p.leader) ?? 0) + 1);
          const leader = [...leads].sort((a, b) => b[1] - a[1])[0]![0];
          const node = stack.env.kafkaNodes.find((n) => n.id === leader)!;
          process.kill(Number(readFileSync(node.pidFile, 'utf8')), 'SIGKILL');
          killed.push(leader);
          // Its partitions get new leaders among the two in-sync copies left.
          await waitFor(
            'new leaders for the dead broker’s partitions',
            async () => {
              try {
                const { topics: now } = await admin.fetchTopicMetadata({ topics: topicsOf(e2e) });
                return now.every((t) =>
                  t.partitions.every((p) => p.leader !== leader && p.leader >= 0),
                );
              } catch {
                return false;
              }
            },
            60_000,
          );
        } finally {
          await admin.disconnect();
        }
      },
      { extraEnv: { gate: replicated, issuer: replicated, operator: replicated } },
    );
    expect(killed).toHaveLength(1);
  }, 300_000);
});
