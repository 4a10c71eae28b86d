// The chart's redis.cluster.nodes (the gate's REDIS_CLUSTER_NODES), rendered with helm
// template: the seed nodes and the replica wait the gate's settings accept, and
// refusals of what the gate would refuse at start-up anyway, so that a wrong release
// fails at `helm install`.
import { describe, expect, it } from '@jest/globals';
import { loadGateSettings } from '@rediclaim/gate';
import { envOf, externalDeps, find, render, type Values } from './support/chart.js';

const clustered = (redis: Values = {}): Values => ({
  ...externalDeps,
  redis: {
    ...(externalDeps.redis as Values),
    host: '',
    cluster: { nodes: ['redis-0.redis.data.svc:6379', 'redis-1.redis.data.svc:6379'] },
    ...redis,
  },
});

describe('redis.cluster.nodes', () => {
  it('gives the gate the seed nodes instead of REDIS_URL, which its settings accept', async () => {
    const gate = envOf(find(await render(clustered()), 'Deployment', 'rediclaim-gate'));
    expect(gate.REDIS_URL).toBeUndefined();
    expect(gate.REDIS_CLUSTER_NODES).toBe(
      'redis-0.redis.data.svc:6379,redis-1.redis.data.svc:6379',
    );
    expect(gate.REDIS_CLUSTER_REPLICA_WAIT_MS).toBe('500');
    const settings = loadGateSettings({
      REDIS_CLUSTER_NODES: gate.REDIS_CLUSTER_NODES!,
      REDIS_CLUSTER_REPLICA_WAIT_MS: gate.REDIS_CLUSTER_REPLICA_WAIT_MS!,
      REDIS_PASSWORD: 'from-the-secret',
      KAFKA_BROKERS: 'k:9092',
      EVENTS_FILE: '/x.yaml',
      ADMIN_TOKEN: 'an-admin-token-of-16+',
      REQUEST_SIGNING_KEYS: 'k1=a-request-signing-secret-of-32-chars!',
    });
    expect(settings.REDIS_CLUSTER_NODES).toEqual([
      { host: 'redis-0.redis.data.svc', port: 6379 },
      { host: 'redis-1.redis.data.svc', port: 6379 },
    ]);
  });

  it('sets nothing by default: the gate uses REDIS_URL', async () => {
    for (const values of [{}, externalDeps]) {
      const gate = envOf(find(await render(values), 'Deployment', 'rediclaim-gate'));
      expect(gate.REDIS_CLUSTER_NODES).toBeUndefined();
      expect(gate.REDIS_URL).toEqual(expect.stringMatching(/^redis:\/\//));
    }
  });

  it.each([
    [
      'the bundled Redis',
      { bundled: true },
      /redis\.cluster\.nodes needs your own Redis Cluster \(redis\.bundled=false\): the bundled Redis is one server/,
    ],
    [
      'TLS',
      { tls: { enabled: true } },
      /redis\.cluster\.nodes does not go with redis\.tls\.enabled/,
    ],
    [
      'an entry without a port',
      { cluster: { nodes: ['redis-0.redis.data.svc'] } },
      /at '\/redis\/cluster\/nodes\/0'/,
    ],
  ])('refuses %s', async (_name, redis, message) => {
    await expect(render(clustered(redis))).rejects.toThrow(message);
  });
});
