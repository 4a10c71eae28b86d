// The chart's bundled Kafka, Redis and MariaDB with TLS (and SCRAM for Kafka), rendered:
// the certificates the chart makes chain to its CA and name every address a client dials,
// each server listens only with TLS, and every client trusts that CA and nothing else.
// hack/test/e2e/cluster.test.ts runs the same release on the real cluster.
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { envOf, find, podSpecOf, render, type K8sObject, type Values } from './support/chart.js';

const secured: Values = {
  kafka: { tls: { enabled: true }, sasl: { mechanism: 'scram-sha-512' } },
  redis: { tls: { enabled: true } },
  mysql: { tls: { mode: 'verify-identity' } },
};

type Volume = {
  name: string;
  secret?: { secretName: string; defaultMode?: number; items: { key: string; path: string }[] };
};
const volumesOf = (o: K8sObject) => (podSpecOf(o) as unknown as { volumes: Volume[] }).volumes;
const secretData = (o: K8sObject) =>
  Object.fromEntries(
    Object.entries((o as unknown as { data: Record<string, string> }).data).map(([k, v]) => [
      k,
      Buffer.from(v, 'base64').toString('utf8'),
    ]),
  );
const hostOf = (address: string) =>
  new URL(address.includes('://') ? address : `x://${address}`).hostname;

describe('the bundled dependencies with TLS', () => {
  it('have certificates from one CA of the release, naming every address their clients dial', async () => {
    const objects = await render(secured, 'shop');
    const data = secretData(find(objects, 'Secret', 'rediclaim-bundled-tls'));
    expect(Object.keys(data).sort()).toEqual([
      'ca.crt',
      'ca.key',
      'kafka.crt',
      'kafka.key',
      'mysql.crt',
      'mysql.key',
      'redis.crt',
      'redis.key',
    ]);
    const ca = new X509Certificate(data['ca.crt']!);
    expect(ca.ca).toBe(true);

    const gate = envOf(find(objects, 'Deployment', 'rediclaim-gate'));
    const issuer = envOf(find(objects, 'Deployment', 'rediclaim-issuer'));
    const properties = (
      find(objects, 'ConfigMap', 'rediclaim-kafka') as unknown as {
        data: Record<string, string>;
      }
    ).data['server.properties']!;
    const advertised = /^advertised\.listeners=CLIENT:\/\/([^:]+):9092,/m.exec(properties)![1]!;
    const dialled: Record<string, string[]> = {
      kafka: [hostOf(gate.KAFKA_BROKERS!), advertised],
      redis: [hostOf(gate.REDIS_URL!)],
      mysql: [hostOf(issuer.MYSQL_URL!.replace('$(MYSQL_PASSWORD)', 'p'))],
    };
    for (const [dep, hosts] of Object.entries(dialled)) {
      const cert = new X509Certificate(data[`${dep}.crt`]!);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.checkIssued(ca)).toBe(true);
      for (const host of hosts) expect([dep, cert.checkHost(host)]).toEqual([dep, host]);
      // Its own probes connect over loopback.
      expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(cert.checkHost('rediclaim-gate.shop.svc')).toBeUndefined();
    }
    // Kept across upgrades and uninstalls: clients trust this CA.
    expect(find(objects, 'Secret', 'rediclaim-bundled-tls').metadata.annotations).toMatchObject({
      'helm.sh/resource-policy': 'keep',
    });
  });

  it('serve TLS only, keys readable by the server alone', async () => {
    const objects = await render(secured, 'shop');
    const kafka = find(objects, 'StatefulSet', 'rediclaim-kafka');
    const properties = (
      find(objects, 'ConfigMap', 'rediclaim-kafka') as unknown as {
        data: Record<string, string>;
      }
    ).data['server.properties']!;
    // Clients only through SASL_SSL; the broker's own listener stays on loopback.
    expect(properties).toMatch(
      /^listeners=CLIENT:\/\/:9092,INTERNAL:\/\/localhost:9094,CONTROLLER:\/\/localhost:9093$/m,
    );
    expect(properties).toMatch(
      /^listener\.security\.protocol\.map=CLIENT:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT$/m,
    );
    expect(properties).toMatch(/^sasl\.enabled\.mechanisms=SCRAM-SHA-512$/m);
    expect(properties).toMatch(/^ssl\.keystore\.type=PEM$/m);
    const kafkaScript = (podSpecOf(kafka).containers[0]!.command as string[])[2]!;
    expect(kafkaScript).toContain('openssl pkcs8 -topk8 -nocrypt');
    // The user is made with the storage, its password read from the mounted Secret.
    expect(kafkaScript).toContain(
      '--add-scram "SCRAM-SHA-512=[name=$SASL_USERNAME,password=$(cat /etc/rediclaim-kafka-sasl/password)]"',
    );
    expect(envOf(kafka).SASL_USERNAME).toBe('rediclaim');

    const redis = podSpecOf(find(objects, 'StatefulSet', 'rediclaim-redis')).containers[0]!;
    const redisArgs = (redis.args as string[]).join(' ');
    expect(redisArgs).toContain('--port 0 --tls-port 6379');
    expect(redisArgs).toContain('--tls-auth-clients no');
    expect(JSON.stringify(redis.readinessProbe)).toContain('redis-cli --tls --cacert /tls/ca.crt');

    const mariadb = find(objects, 'StatefulSet', 'rediclaim-mysql');
    expect(podSpecOf(mariadb).containers[0]!.args).toEqual(
      expect.arrayContaining([
        '--require-secure-transport=ON',
        '--ssl-cert=/etc/rediclaim-mysql-tls/tls.crt',
      ]),
    );
    expect(envOf(mariadb).HEALTHCHECK_TLS).toBe('1');

    for (const [workload, dep] of [
      [kafka, 'kafka'],
      [find(objects, 'StatefulSet', 'rediclaim-redis'), 'redis'],
      [mariadb, 'mysql'],
    ] as const) {
      const tls = volumesOf(workload).find((v) => v.name === 'tls')!.secret!;
      expect(tls.secretName).toBe('rediclaim-bundled-tls');
      expect(tls.defaultMode).toBe(0o440);
      expect(tls.items).toContainEqual({ key: `${dep}.key`, path: 'tls.key' });
      // A server gets its own key, never another's or the CA's.
      expect(tls.items.map((i) => i.key).filter((k) => k.endsWith('.key'))).toEqual([`${dep}.key`]);
    }
  });

  it('have every client trust the chart CA, the SCRAM password kept in a generated Secret', async () => {
    const objects = await render(secured, 'shop');
    for (const name of ['rediclaim-gate', 'rediclaim-issuer', 'rediclaim-operator']) {
      const deployment = find(objects, 'Deployment', name);
      expect(envOf(deployment)).toMatchObject({
        KAFKA_TLS: 'true',
        KAFKA_TLS_CA_FILE: '/etc/rediclaim/kafka-tls/ca.crt',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'rediclaim',
        KAFKA_SASL_PASSWORD: 'secret:rediclaim-kafka/kafka-password',
      });
      expect(volumesOf(deployment)).toContainEqual(
        expect.objectContaining({
          name: 'kafka-tls',
          secret: expect.objectContaining({ secretName: 'rediclaim-bundled-tls' }),
        }),
      );
    }
    const gate = envOf(find(objects, 'Deployment', 'rediclaim-gate'));
    expect(gate.REDIS_URL).toBe('rediss://rediclaim-redis.shop.svc:6379/0');
    expect(gate.REDIS_TLS_CA).toBe('/etc/rediclaim/redis-tls/ca.crt');
    const issuer = envOf(find(objects, 'Deployment', 'rediclaim-issuer'));
    expect(issuer).toMatchObject({
      MYSQL_TLS_MODE: 'verify-identity',
      MYSQL_TLS_CA: '/etc/rediclaim/mysql-tls/ca.crt',
    });
    const password = find(objects, 'Secret', 'rediclaim-kafka') as unknown as {
      stringData: Record<string, string>;
      metadata: { annotations: Record<string, string> };
    };
    expect(password.stringData['kafka-password']).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(password.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
  });

  it('make no certificate and no CA for dependencies that stay plaintext', async () => {
    const plain = await render({}, 'shop');
    expect(plain.filter((o) => o.metadata.name === 'rediclaim-bundled-tls')).toEqual([]);
    const onlyRedis = await render({ redis: { tls: { enabled: true } } }, 'shop');
    const data = secretData(find(onlyRedis, 'Secret', 'rediclaim-bundled-tls'));
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'ca.key', 'redis.crt', 'redis.key']);
    const kafka = (
      find(onlyRedis, 'ConfigMap', 'rediclaim-kafka') as unknown as {
        data: Record<string, string>;
      }
    ).data['server.properties']!;
    expect(kafka).toMatch(/^listeners=PLAINTEXT:\/\/:9092,CONTROLLER:\/\/localhost:9093$/m);
    expect(envOf(find(onlyRedis, 'Deployment', 'rediclaim-issuer')).MYSQL_TLS_MODE).toBeUndefined();
  });
});
