// Smoke tests of the foundation: each of the four real servers that hack/stack starts
// answers a real client the way the services will use it.
import { afterAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import mysql from 'mysql2/promise';
import {
  createTestDatabase,
  createTestNamespace,
  createTestTopics,
  deleteTestTopics,
  testKafka,
  testKubeConfig,
  testRedis,
  uniqueName,
} from '@rediclaim/hack/testing';

describe('Redis (Debian redis-server)', () => {
  const redis = testRedis();
  afterAll(() => redis.quit());

  it('stores and reads back a key', async () => {
    const key = uniqueName('smoke');
    await redis.set(key, 'hello', 'EX', 60);
    expect(await redis.get(key)).toBe('hello');
  });

  it('runs Lua with server time, which the gate rate limiter depends on', async () => {
    const [seconds] = (await redis.eval("return redis.call('TIME')", 0)) as [string, string];
    expect(Math.abs(Number(seconds) - Date.now() / 1000)).toBeLessThan(5);
  });
});

describe('MariaDB (Debian mariadb-server)', () => {
  it('creates a table, writes a row in a transaction and reads it back', async () => {
    const db = await createTestDatabase('smoke');
    const conn = await mysql.createConnection({
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
      database: db.name,
    });
    try {
      await conn.query(
        'CREATE TABLE coupons (id INT PRIMARY KEY, code VARCHAR(32) NOT NULL UNIQUE) ENGINE=InnoDB',
      );
      await conn.beginTransaction();
      await conn.query('INSERT INTO coupons VALUES (1, ?)', ['SMOKE-1']);
      await conn.commit();
      const [rows] = await conn.query('SELECT code FROM coupons WHERE id = 1');
      expect(rows).toEqual([{ code: 'SMOKE-1' }]);
      await expect(conn.query('INSERT INTO coupons VALUES (2, ?)', ['SMOKE-1'])).rejects.toThrow(
        /Duplicate entry/,
      );
    } finally {
      await conn.end();
      await db.drop();
    }
  });
});

describe('Kafka (KRaft broker from Maven Central jars)', () => {
  it('delivers a produced message to a consumer group', async () => {
    const topic = uniqueName('smoke');
    await createTestTopics([{ topic, numPartitions: 2 }]);
    const kafka = testKafka();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: uniqueName('smoke-group') });
    try {
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value: 'hello kafka' }] });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message within 30s')), 30_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            resolve(message.value?.toString() ?? '');
          },
        });
      });
      expect(received).toBe('hello kafka');
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await deleteTestTopics([topic]);
    }
  });
});

describe('kube-apiserver with etcd (built from source)', () => {
  const kc = testKubeConfig();

  it('reports the Kubernetes version it was built as', async () => {
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.\d+\.\d+/);
  });

  it('creates and reads back a ConfigMap in a fresh namespace', async () => {
    const ns = await createTestNamespace('smoke');
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'hello' }, data: { greeting: 'hi' } },
    });
    const read = await core.readNamespacedConfigMap({ namespace: ns.name, name: 'hello' });
    expect(read.data).toEqual({ greeting: 'hi' });
    await ns.delete();
  });

  it('serves a CRD with a status subresource that spec writes cannot touch', async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    const group = `${uniqueName('smoke')}.rediclaim.io`;
    const crdName = `widgets.${group}`;
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: crdName },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: {
                    spec: { type: 'object', properties: { size: { type: 'integer' } } },
                    status: { type: 'object', properties: { phase: { type: 'string' } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    try {
      await waitForEstablished(ext, crdName);
      const ns = await createTestNamespace('smoke');
      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      const ref = { group, version: 'v1', namespace: ns.name, plural: 'widgets' };
      await custom.createNamespacedCustomObject({
        ...ref,
        body: {
          apiVersion: `${group}/v1`,
          kind: 'Widget',
          metadata: { name: 'w1' },
          spec: { size: 3 },
          status: { phase: 'Ignored' },
        },
      });
      // Status sent with the object on create is dropped: only the subresource writes it.
      const created = (await custom.getNamespacedCustomObject({ ...ref, name: 'w1' })) as {
        status?: unknown;
      };
      expect(created.status).toBeUndefined();

      await custom.patchNamespacedCustomObjectStatus(
        { ...ref, name: 'w1', body: { status: { phase: 'Ready' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      const read = (await custom.getNamespacedCustomObject({ ...ref, name: 'w1' })) as {
        spec: { size: number };
        status: { phase: string };
      };
      expect(read.spec.size).toBe(3);
      expect(read.status.phase).toBe('Ready');
      await ns.delete();
    } finally {
      await ext.deleteCustomResourceDefinition({ name: crdName });
    }
  });
});

async function waitForEstablished(ext: k8s.ApiextensionsV1Api, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const crd = await ext.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`CRD ${name} was not Established within 10s`);
}
