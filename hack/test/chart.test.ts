// The Helm chart without a cluster: `helm lint --strict` and `helm template` (helm built
// through the Go module proxy) for the value sets users run, the names and settings the
// services and core/CONTRACTS.md agree on, the security every pod runs with, and
// values.schema.json refusing mistakes with a message that names the value.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import * as gateService from '@rediclaim/gate';
import { repoRoot } from '@rediclaim/hack/testing';
import * as issuerService from '@rediclaim/issuer';
import * as operatorService from '@rediclaim/operator';
import {
  chartDir,
  envOf,
  find,
  helm,
  kubeVersion,
  podSpecOf,
  everythingOn,
  externalDeps,
  kindValues,
  render,
  type K8sObject,
  type Values,
} from './support/chart.js';

const workloads = (objects: K8sObject[]) =>
  objects.filter((o) => ['Deployment', 'StatefulSet', 'Pod'].includes(o.kind));

describe('helm lint --strict', () => {
  it.each([
    ['the defaults (bundled dependencies)', {}],
    ['external Redis, Kafka and MySQL', externalDeps],
    ['the values hack/kind/up installs', kindValues()],
    [
      'HPA, NetworkPolicies, ServiceMonitor, alerts, dashboard, Ingress and watched namespaces',
      everythingOn,
    ],
  ])('passes with %s', async (_name, values) => {
    const result = await helm(
      ['lint', '--strict', chartDir, '--kube-version', kubeVersion],
      values,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });
});

describe('helm template', () => {
  it('renders the objects core/CONTRACTS.md names for a release called rediclaim', async () => {
    const objects = await render({}, 'rediclaim', 'rediclaim');
    for (const s of ['gate', 'issuer', 'operator']) {
      find(objects, 'Deployment', `rediclaim-${s}`);
      find(objects, 'ServiceAccount', `rediclaim-${s}`);
    }
    const gate = find(objects, 'Service', 'rediclaim-gate').spec as {
      ports: { port: number; targetPort: string }[];
    };
    expect(gate.ports).toEqual([expect.objectContaining({ port: 80, targetPort: 'http' })]);
    const admin = find(objects, 'Service', 'rediclaim-gate-admin').spec as {
      ports: { port: number }[];
    };
    expect(admin.ports[0]!.port).toBe(9090);
    const httpPort = (
      podSpecOf(find(objects, 'Deployment', 'rediclaim-gate')).containers[0]!.ports as {
        name: string;
        containerPort: number;
      }[]
    ).find((p) => p.name === 'http');
    expect(httpPort?.containerPort).toBe(8080);
  });

  it('names the objects of any other release after it, so two releases share a namespace', async () => {
    const a = await render({}, 'shop', 'spring-sale');
    const b = await render({}, 'shop', 'autumn-sale');
    const names = (objects: K8sObject[]) =>
      new Set(
        objects.filter((o) => o.metadata.namespace).map((o) => `${o.kind}/${o.metadata.name}`),
      );
    const clash = [...names(a)].filter((n) => names(b).has(n));
    expect(clash).toEqual([]);
    find(a, 'Deployment', 'spring-sale-rediclaim-gate');
    const env = envOf(find(a, 'Deployment', 'spring-sale-rediclaim-gate'));
    expect(env.EVENTS_CONFIGMAP).toBe('shop/spring-sale-rediclaim-events');
  });

  it('leaves the events ConfigMaps to the operator, so no upgrade or GitOps sync can wipe them', async () => {
    // The operator creates rediclaim-events-<n> and owns their data; the gate reads an
    // absent shard as "no events yet". A chart-rendered copy would be reset by every upgrade.
    const objects = await render();
    expect(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name)).toEqual([
      'rediclaim-kafka',
    ]);
  });

  it('gives each service the settings core/CONTRACTS.md fixes', async () => {
    const objects = await render({}, 'shop');
    const gate = envOf(find(objects, 'Deployment', 'rediclaim-gate'));
    expect(gate).toMatchObject({
      GATE_PORT: '8080',
      GATE_ADMIN_PORT: '9090',
      REDIS_URL: 'redis://rediclaim-redis.shop.svc:6379/0',
      REDIS_USERNAME: 'rediclaim',
      REDIS_PASSWORD: 'secret:rediclaim-redis/redis-password',
      KAFKA_BROKERS: 'rediclaim-kafka.shop.svc:9092',
      KAFKA_GROUP_ID: 'rediclaim-gate',
      EVENTS_CONFIGMAP: 'shop/rediclaim-events',
      EVENTS_CONFIG_SHARDS: '32',
      TICKET_SECRET: 'secret:rediclaim-secrets/ticket-secret',
      REQUEST_SIGNING_KEYS: 'secret:rediclaim-secrets/request-signing-keys',
    });
    const issuer = envOf(find(objects, 'Deployment', 'rediclaim-issuer'));
    expect(issuer).toMatchObject({
      ISSUER_ADMIN_PORT: '9091',
      MYSQL_PASSWORD: 'secret:rediclaim-mysql/mysql-password',
      MYSQL_URL: 'mysql://rediclaim:$(MYSQL_PASSWORD)@rediclaim-mysql.shop.svc:3306/rediclaim',
      COUPON_CODE_SECRET: 'secret:rediclaim-secrets/coupon-code-secret',
      REQUEST_SIGNING_KEYS: 'secret:rediclaim-secrets/request-signing-keys',
      KAFKA_BROKERS: 'rediclaim-kafka.shop.svc:9092',
      KAFKA_GROUP_ID: 'rediclaim-issuer',
      MIGRATE_ON_START: 'true',
      ISSUER_API_PORT: '8092',
      REDEMPTION_API_KEYS: 'secret:rediclaim-secrets/redemption-api-keys',
    });
    const operator = envOf(find(objects, 'Deployment', 'rediclaim-operator'));
    expect(operator).toMatchObject({
      OPERATOR_ADMIN_PORT: '9092',
      PLATFORM_NAMESPACE: 'field:metadata.namespace',
      POD_NAME: 'field:metadata.name',
      WATCH_NAMESPACES: '',
      EVENTS_CONFIGMAP_NAME: 'rediclaim-events',
      EVENTS_CONFIG_SHARDS: '32',
      MAX_EVENTS_PER_NAMESPACE: '100',
      ISSUER_DEPLOYMENT_NAME: 'rediclaim-issuer',
      ISSUER_MIN_REPLICAS: '1',
      ISSUER_MAX_REPLICAS: '8',
      GATE_ADMIN_URL: 'http://rediclaim-gate-admin.shop.svc:9090',
      LEASE_NAME: 'rediclaim-operator',
      KAFKA_BROKERS: 'rediclaim-kafka.shop.svc:9092',
    });
  });

  it.each([
    ['the defaults', {}],
    ['external dependencies', externalDeps],
    ['every option on', everythingOn],
    ['the kind values', kindValues()],
  ])('renders settings each service itself accepts, with %s', async (_name, values) => {
    // As the kubelet would: Secrets and the downward API filled in, $(VAR) expanded.
    const resolved = (name: string): Record<string, string> => {
      const env = envOf(find(objects, 'Deployment', name));
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(env)) {
        const value = v.startsWith('secret:')
          ? // The generated value of each key has its key's form.
            v.endsWith('/request-signing-keys')
            ? `k1=${'s'.repeat(40)}`
            : v.endsWith('/redemption-api-keys')
              ? `*=${'s'.repeat(40)}`
              : 's'.repeat(40)
          : v === 'field:metadata.namespace'
            ? 'shop'
            : v.startsWith('field:')
              ? `${name}-0`
              : v;
        out[k] = value.replace(/\$\(([A-Z_][A-Z0-9_]*)\)/g, (m, ref: string) => out[ref] ?? m);
      }
      return out;
    };
    const objects = await render(values, 'shop');
    expect(() => gateService.loadGateSettings(resolved('rediclaim-gate'))).not.toThrow();
    expect(() => issuerService.loadSettings(resolved('rediclaim-issuer'))).not.toThrow();
    expect(() => operatorService.loadSettings(resolved('rediclaim-operator'))).not.toThrow();
  });

  it('points the services at external Redis, Kafka and MySQL and their existing Secrets', async () => {
    const objects = await render(externalDeps);
    expect(objects.filter((o) => o.kind === 'StatefulSet')).toEqual([]);
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const gate = envOf(find(objects, 'Deployment', 'rediclaim-gate'));
    // The password from its Secret, never in the URL; the default user (no username).
    expect(gate.REDIS_URL).toBe('redis://redis.data.svc:6379/0');
    expect(gate.REDIS_PASSWORD).toBe('secret:shop-redis/redis-password');
    expect(gate.REDIS_USERNAME).toBeUndefined();
    expect(gate.KAFKA_BROKERS).toBe('kafka-0.kafka:9092,kafka-1.kafka:9092');
    expect(gate.TICKET_SECRET).toBe('secret:shop-rediclaim/ticket-secret');
    const issuer = envOf(find(objects, 'Deployment', 'rediclaim-issuer'));
    expect(issuer.MYSQL_URL).toBe(
      'mysql://rediclaim:$(MYSQL_PASSWORD)@mysql.data.svc:3306/rediclaim',
    );
    expect(issuer.MYSQL_PASSWORD).toBe('secret:shop-mysql/mysql-password');
    // Nothing to wait for: the user's servers are not ours to start.
    expect(
      podSpecOf(find(objects, 'Deployment', 'rediclaim-issuer')).initContainers,
    ).toBeUndefined();
  });

  it('has every service create replicated topics on your own Kafka cluster, and refuses what cannot work', async () => {
    const defaults = await render(externalDeps);
    for (const name of ['rediclaim-gate', 'rediclaim-issuer', 'rediclaim-operator']) {
      const env = envOf(find(defaults, 'Deployment', name));
      // The broker's defaults unless told.
      expect([name, env.KAFKA_REPLICATION_FACTOR, env.KAFKA_MIN_INSYNC_REPLICAS]).toEqual([
        name,
        undefined,
        undefined,
      ]);
    }
    const kafka = { ...(externalDeps.kafka as Values), replicationFactor: 3, minInsyncReplicas: 2 };
    const objects = await render({ ...externalDeps, kafka });
    for (const name of ['rediclaim-gate', 'rediclaim-issuer', 'rediclaim-operator'])
      expect(envOf(find(objects, 'Deployment', name))).toMatchObject({
        KAFKA_REPLICATION_FACTOR: '3',
        KAFKA_MIN_INSYNC_REPLICAS: '2',
      });
    await expect(
      render({ ...externalDeps, kafka: { ...kafka, minInsyncReplicas: 4 } }),
    ).rejects.toThrow(
      'kafka.minInsyncReplicas (4) is more than kafka.replicationFactor (3): no write could ever succeed',
    );
    await expect(render({ kafka: { replicationFactor: 3 } })).rejects.toThrow(
      'kafka.replicationFactor above 1 needs your own Kafka cluster',
    );
    await expect(render({ kafka: { replicationFactor: -1 } })).rejects.toThrow('replicationFactor');
  });

  it("has the gate follow the coupons' lifecycle events, on the topic named, or not at all", async () => {
    const gate = envOf(find(await render({}), 'Deployment', 'rediclaim-gate'));
    expect(gate).toMatchObject({
      GATE_COUPONS_ENABLED: 'true',
      GATE_COUPONS_GROUP_ID: 'rediclaim-gate-coupons',
    });
    // The default topic is core's (the gate's and the issuer's own default).
    expect(gate.TOPIC_COUPONS).toBeUndefined();
    const named = await render({
      kafka: { topics: { coupons: 'shop.coupons' } },
      gate: { couponEvents: { enabled: false } },
    });
    expect(envOf(find(named, 'Deployment', 'rediclaim-gate'))).toMatchObject({
      GATE_COUPONS_ENABLED: 'false',
      TOPIC_COUPONS: 'shop.coupons',
    });
    expect(envOf(find(named, 'Deployment', 'rediclaim-issuer')).TOPIC_COUPONS).toBe('shop.coupons');
    await expect(render({ gate: { couponEvents: { enabled: 'yes' } } })).rejects.toThrow(
      /couponEvents/,
    );
  });

  it('connects to a TLS Redis without a password when told so', async () => {
    const objects = await render({
      redis: {
        bundled: false,
        host: 'cache.example.com',
        port: 6380,
        tls: { enabled: true },
        db: 2,
      },
    });
    const gate = envOf(find(objects, 'Deployment', 'rediclaim-gate'));
    expect(gate.REDIS_URL).toBe('rediss://cache.example.com:6380/2');
    expect(gate.REDIS_PASSWORD).toBeUndefined();
    // The system's CAs: nothing mounted.
    expect(gate.REDIS_TLS_CA).toBeUndefined();
    const pod = podSpecOf(find(objects, 'Deployment', 'rediclaim-gate'));
    expect((pod.volumes as { name: string }[]).map((v) => v.name)).not.toContain('redis-tls');
  });

  it('gives the gate Redis TLS from the CA and client certificate Secrets, mounted as files, as an ACL user', async () => {
    const objects = await render({
      redis: {
        bundled: false,
        host: '10.0.0.7',
        username: 'gate',
        existingSecret: 'shop-redis',
        tls: {
          enabled: true,
          caSecret: 'redis-ca',
          caKey: 'root.pem',
          clientCertSecret: 'redis-client',
          serverName: 'redis.internal',
        },
      },
    });
    const deployment = find(objects, 'Deployment', 'rediclaim-gate');
    const gate = envOf(deployment);
    expect(gate).toMatchObject({
      REDIS_URL: 'rediss://10.0.0.7:6379/0',
      REDIS_USERNAME: 'gate',
      REDIS_PASSWORD: 'secret:shop-redis/redis-password',
      REDIS_TLS_CA: '/etc/rediclaim/redis-tls/root.pem',
      REDIS_TLS_CERT: '/etc/rediclaim/redis-tls/tls.crt',
      REDIS_TLS_KEY: '/etc/rediclaim/redis-tls/tls.key',
      REDIS_TLS_SERVERNAME: 'redis.internal',
    });
    const pod = podSpecOf(deployment);
    const mounts = pod.containers[0]!.volumeMounts as { name: string; mountPath: string }[];
    expect(mounts).toContainEqual(
      expect.objectContaining({ name: 'redis-tls', mountPath: '/etc/rediclaim/redis-tls' }),
    );
    const volume = (pod.volumes as { name: string; projected?: unknown }[]).find(
      (v) => v.name === 'redis-tls',
    );
    expect(volume?.projected).toEqual({
      defaultMode: 0o440,
      sources: [
        { secret: { name: 'redis-ca', items: [{ key: 'root.pem', path: 'root.pem' }] } },
        {
          secret: {
            name: 'redis-client',
            items: [
              { key: 'tls.crt', path: 'tls.crt' },
              { key: 'tls.key', path: 'tls.key' },
            ],
          },
        },
      ],
    });
  });

  it('runs the bundled Redis with ACL users written from the Secret by an init step, no password on a command line', async () => {
    const objects = await render({}, 'shop');
    const pod = podSpecOf(find(objects, 'StatefulSet', 'rediclaim-redis'));
    const redis = pod.containers[0]!;
    const args = redis.args as string[];
    expect(args).not.toContain('--requirepass');
    expect(args.slice(args.indexOf('--aclfile'))).toEqual(['--aclfile', '/acl/users.acl']);
    // Nor in the environment: the probes read the mounted file.
    expect(redis.env).toBeUndefined();
    const init = pod.initContainers!.find((c) => c.name === 'acl')!;
    expect(init.env).toBeUndefined();
    const script = (init.command as string[]).at(-1)!;
    expect(script).toContain('user default off');
    expect(script).toContain('user rediclaim on #$hash resetkeys ~rc:* resetchannels &rc:*');
    // The same rules as hack/stack's TLS Redis, where the gate's tests prove them.
    const rules = /on #\$hash (.*)" >/.exec(script)![1]!;
    expect(readFileSync(path.join(repoRoot, 'hack/stack'), 'utf8')).toContain(
      `on #$hash ${rules}"`,
    );
    const volume = (pod.volumes as { name: string; secret?: unknown }[]).find(
      (v) => v.name === 'password',
    );
    expect(volume?.secret).toEqual({
      secretName: 'rediclaim-redis',
      defaultMode: 0o440,
      items: [{ key: 'redis-password', path: 'password' }],
    });
  });

  it('restarts the bundled Kafka when its configuration changes, and only then', async () => {
    // The broker reads server.properties when it starts: a ConfigMap change alone would
    // leave it on the old listeners while the services, restarted, expect the new ones.
    const checksum = async (values: Values) => {
      const kafka = find(await render(values, 'shop'), 'StatefulSet', 'rediclaim-kafka');
      const template = (
        kafka.spec as { template: { metadata: { annotations: Record<string, string> } } }
      ).template;
      return template.metadata.annotations['checksum/config'];
    };
    const plain = await checksum({});
    expect(plain).toMatch(/^[0-9a-f]{64}$/);
    expect(await checksum({ gate: { replicas: 3 } })).toBe(plain);
    const secured = await checksum({ kafka: { tls: { enabled: true } } });
    expect(secured).not.toBe(plain);
    expect(
      await checksum({ kafka: { tls: { enabled: true }, sasl: { mechanism: 'scram-sha-512' } } }),
    ).not.toBe(secured);
  });

  it('gives every service TLS to Kafka against the CA Secret and a SCRAM user whose password stays in its Secret', async () => {
    const objects = await render({
      kafka: {
        bundled: false,
        brokers: 'kafka-0.kafka:9093',
        tls: { enabled: true, caSecret: 'kafka-ca', caKey: 'ca.pem' },
        sasl: { mechanism: 'scram-sha-512', username: 'rediclaim', existingSecret: 'kafka-user' },
      },
    });
    for (const name of ['rediclaim-gate', 'rediclaim-issuer', 'rediclaim-operator']) {
      const deployment = find(objects, 'Deployment', name);
      expect(envOf(deployment)).toMatchObject({
        KAFKA_TLS: 'true',
        KAFKA_TLS_CA_FILE: '/etc/rediclaim/kafka-tls/ca.pem',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'rediclaim',
        KAFKA_SASL_PASSWORD: 'secret:kafka-user/kafka-password',
      });
      const pod = podSpecOf(deployment) as unknown as {
        volumes: { name: string; secret?: { secretName: string } }[];
        containers: { volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] }[];
      };
      expect(pod.volumes).toContainEqual(
        expect.objectContaining({
          name: 'kafka-tls',
          secret: expect.objectContaining({ secretName: 'kafka-ca' }),
        }),
      );
      expect(pod.containers[0]!.volumeMounts).toContainEqual({
        name: 'kafka-tls',
        mountPath: '/etc/rediclaim/kafka-tls',
        readOnly: true,
      });
    }
    // Plaintext by default: no Kafka security setting at all.
    const plain = envOf(find(await render({}), 'Deployment', 'rediclaim-gate'));
    expect(Object.keys(plain).filter((k) => /^KAFKA_(TLS|SASL)/.test(k))).toEqual([]);
  });

  it('gives the issuer MySQL TLS from the CA and client certificate Secrets, mounted as files', async () => {
    const objects = await render({
      ...externalDeps,
      mysql: {
        ...(externalDeps.mysql as Values),
        tls: {
          mode: 'verify-identity',
          caSecret: 'mysql-ca',
          caKey: 'ca.pem',
          clientCertSecret: 'mysql-client',
        },
      },
    });
    const deployment = find(objects, 'Deployment', 'rediclaim-issuer');
    expect(envOf(deployment)).toMatchObject({
      MYSQL_TLS_MODE: 'verify-identity',
      MYSQL_TLS_CA: '/etc/rediclaim/mysql-tls/ca.pem',
      MYSQL_TLS_CERT: '/etc/rediclaim/mysql-tls/tls.crt',
      MYSQL_TLS_KEY: '/etc/rediclaim/mysql-tls/tls.key',
    });
    const pod = podSpecOf(deployment) as unknown as {
      volumes: { name: string; projected?: { defaultMode: number; sources: unknown[] } }[];
      containers: { volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[] }[];
    };
    const volume = pod.volumes.find((v) => v.name === 'mysql-tls');
    expect(volume?.projected).toEqual({
      defaultMode: 0o440,
      sources: [
        { secret: { name: 'mysql-ca', items: [{ key: 'ca.pem', path: 'ca.pem' }] } },
        {
          secret: {
            name: 'mysql-client',
            items: [
              { key: 'tls.crt', path: 'tls.crt' },
              { key: 'tls.key', path: 'tls.key' },
            ],
          },
        },
      ],
    });
    expect(pod.containers[0]!.volumeMounts).toContainEqual({
      name: 'mysql-tls',
      mountPath: '/etc/rediclaim/mysql-tls',
      readOnly: true,
    });
    // Only the issuer talks to MySQL.
    for (const name of ['rediclaim-gate', 'rediclaim-operator'])
      expect(Object.keys(envOf(find(objects, 'Deployment', name)))).not.toContain('MYSQL_TLS_MODE');
    // Plaintext by default: no MySQL TLS setting, no volume.
    const plain = find(await render({}), 'Deployment', 'rediclaim-issuer');
    expect(Object.keys(envOf(plain)).filter((k) => k.startsWith('MYSQL_TLS'))).toEqual([]);
    expect((podSpecOf(plain).volumes as { name: string }[]).map((v) => v.name)).not.toContain(
      'mysql-tls',
    );
  });

  it('encrypts to MySQL without a CA with mode required', async () => {
    const objects = await render({
      ...externalDeps,
      mysql: { ...(externalDeps.mysql as Values), tls: { mode: 'required' } },
    });
    const env = envOf(find(objects, 'Deployment', 'rediclaim-issuer'));
    expect(env.MYSQL_TLS_MODE).toBe('required');
    expect(env.MYSQL_TLS_CA).toBeUndefined();
  });

  it.each([
    [
      'a CA of your own for the bundled MariaDB, whose certificate the chart signs',
      { bundled: true, tls: { mode: 'verify-ca', caSecret: 'ca' } },
      /mysql\.tls\.caSecret is for your own mysql: the bundled one's certificate is signed by the chart's CA/,
    ],
    [
      'mode required with the bundled MariaDB, whose certificate can be checked',
      { bundled: true, tls: { mode: 'required' } },
      /mysql\.tls\.mode required does not check the bundled MariaDB's certificate/,
    ],
    [
      'a client certificate for the bundled MariaDB',
      { bundled: true, tls: { mode: 'verify-identity', clientCertSecret: 'c' } },
      /mysql\.tls\.clientCertSecret is for your own MySQL/,
    ],
    [
      'verify-ca without a CA',
      { tls: { mode: 'verify-ca' } },
      /mysql\.tls\.caSecret .* is required with mysql\.tls\.mode verify-ca/,
    ],
    [
      'verify-identity without a CA',
      { tls: { mode: 'verify-identity' } },
      /is required with mysql\.tls\.mode verify-identity/,
    ],
    [
      'required with a CA it would not check',
      { tls: { mode: 'required', caSecret: 'ca' } },
      /not used with mysql\.tls\.mode required/,
    ],
    [
      'verify-identity against an IP address',
      { host: '10.1.2.3', tls: { mode: 'verify-identity', caSecret: 'ca' } },
      /needs mysql\.host to be a DNS name/,
    ],
    [
      'a mode MySQL clients do not have',
      { tls: { mode: 'preferred' } },
      /\/mysql\/tls\/mode': value must be one of/,
    ],
  ])('refuses MySQL TLS with %s', async (_name, mysql, message) => {
    await expect(
      render({ ...externalDeps, mysql: { ...(externalDeps.mysql as Values), ...mysql } }),
    ).rejects.toThrow(message);
  });

  it('runs every pod non-root, read-only, without privilege escalation, with resources', async () => {
    for (const values of [{}, everythingOn]) {
      for (const w of workloads(await render(values))) {
        const spec = podSpecOf(w);
        const where = `${w.kind}/${w.metadata.name}`;
        expect({ where, runAsNonRoot: spec.securityContext?.runAsNonRoot }).toEqual({
          where,
          runAsNonRoot: true,
        });
        expect({ where, seccomp: spec.securityContext?.seccompProfile }).toEqual({
          where,
          seccomp: { type: 'RuntimeDefault' },
        });
        for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
          const sc = c.securityContext as Record<string, unknown>;
          expect({ where, container: c.name, sc }).toEqual({
            where,
            container: c.name,
            sc: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
          });
          const resources = c.resources as { requests?: object; limits?: { memory?: string } };
          expect({ where, container: c.name, memoryLimit: !!resources?.limits?.memory }).toEqual({
            where,
            container: c.name,
            memoryLimit: true,
          });
        }
        // Long-running containers are probed; the helm test pod runs once.
        for (const c of w.kind === 'Pod' ? [] : spec.containers) {
          expect({
            where,
            probes: ['readinessProbe', 'livenessProbe'].filter((p) => !c[p]),
          }).toEqual({ where, probes: [] });
        }
      }
    }
  });

  it('probes the services where they serve /healthz and /readyz', async () => {
    const objects = await render();
    const probe = (name: string, kind: 'readinessProbe' | 'livenessProbe') => {
      const c = podSpecOf(find(objects, 'Deployment', name)).containers[0]!;
      const ports = c.ports as { name: string; containerPort: number }[];
      const get = (c[kind] as { httpGet: { path: string; port: string } }).httpGet;
      return `${get.path}:${ports.find((p) => p.name === get.port)?.containerPort}`;
    };
    expect(probe('rediclaim-gate', 'readinessProbe')).toBe('/readyz:8080');
    expect(probe('rediclaim-gate', 'livenessProbe')).toBe('/healthz:8080');
    expect(probe('rediclaim-issuer', 'readinessProbe')).toBe('/readyz:9091');
    expect(probe('rediclaim-operator', 'livenessProbe')).toBe('/healthz:9092');
  });

  it('labels every object with the app.kubernetes.io set', async () => {
    for (const o of await render(everythingOn)) {
      const labels = o.metadata.labels ?? {};
      expect({ object: `${o.kind}/${o.metadata.name}`, labels }).toEqual({
        object: `${o.kind}/${o.metadata.name}`,
        labels: expect.objectContaining({
          'app.kubernetes.io/name': 'rediclaim',
          'app.kubernetes.io/instance': 'rediclaim',
          'app.kubernetes.io/component': expect.any(String),
          'app.kubernetes.io/managed-by': 'Helm',
          'app.kubernetes.io/part-of': 'rediclaim',
          'app.kubernetes.io/version': expect.any(String),
        }),
      });
    }
  });

  it('leaves the issuer replica count to the operator unless told otherwise', async () => {
    const managed = find(await render(), 'Deployment', 'rediclaim-issuer');
    expect((managed.spec as { replicas?: number }).replicas).toBeUndefined();
    const fixed = find(
      await render({ issuer: { managedByOperator: false, replicas: 3 } }),
      'Deployment',
      'rediclaim-issuer',
    );
    expect((fixed.spec as { replicas?: number }).replicas).toBe(3);
  });

  it('hands the gate replica count to the HPA when autoscaling is on', async () => {
    const objects = await render(everythingOn);
    const gate = find(objects, 'Deployment', 'rediclaim-gate');
    expect((gate.spec as { replicas?: number }).replicas).toBeUndefined();
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'rediclaim-gate');
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: 'rediclaim-gate' },
      minReplicas: 2,
      maxReplicas: 10,
    });
  });

  it('runs two operators and a PodDisruptionBudget for each service', async () => {
    const objects = await render();
    expect(
      (find(objects, 'Deployment', 'rediclaim-operator').spec as { replicas: number }).replicas,
    ).toBe(2);
    for (const s of ['gate', 'issuer', 'operator']) {
      const pdb = find(objects, 'PodDisruptionBudget', `rediclaim-${s}`);
      expect(pdb.spec).toMatchObject({
        maxUnavailable: 1,
        selector: { matchLabels: { 'app.kubernetes.io/component': s } },
      });
    }
  });

  it('selects all three admin Services from one ServiceMonitor, by a port they all name', async () => {
    const objects = await render(everythingOn);
    const sm = find(objects, 'ServiceMonitor', 'rediclaim');
    const spec = sm.spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string; path: string }[];
    };
    const selected = objects.filter(
      (o) =>
        o.kind === 'Service' &&
        Object.entries(spec.selector.matchLabels).every(([k, v]) => o.metadata.labels?.[k] === v),
    );
    expect(selected.map((s) => s.metadata.name).sort()).toEqual([
      'rediclaim-gate-admin',
      'rediclaim-issuer-admin',
      'rediclaim-operator-admin',
    ]);
    for (const s of selected) {
      const ports = (s.spec as { ports: { name: string }[] }).ports.map((p) => p.name);
      expect(ports).toContain(spec.endpoints[0]!.port);
    }
    expect(spec.endpoints[0]!.path).toBe('/metrics');
  });

  it('admits only the traffic each part needs, in and out, with NetworkPolicies on by default', async () => {
    type Peer = { podSelector?: { matchLabels: Record<string, string> }; ipBlock?: unknown };
    type Rule = { ports: { port: number }[]; from?: Peer[]; to?: Peer[] };
    type Spec = { policyTypes: string[]; ingress: Rule[]; egress: Rule[] };
    const policies = (objects: K8sObject[]) => {
      const specs = new Map<string, Spec>();
      for (const o of objects)
        if (o.kind === 'NetworkPolicy')
          specs.set(o.metadata.name.replace('rediclaim-', ''), o.spec as Spec);
      return specs;
    };
    const component = (p: Peer) => p.podSelector?.matchLabels['app.kubernetes.io/component'];
    // Where a component may connect: "<component or *>:<port>" per port of each rule.
    const egress = (spec: Spec) =>
      spec.egress
        .flatMap((r) =>
          r.ports.map(
            (p) => `${r.to ? r.to.map((t) => component(t) ?? 'peer').join('|') : '*'}:${p.port}`,
          ),
        )
        .sort();

    const defaults = policies(await render());
    expect([...defaults.keys()].sort()).toEqual([
      'gate',
      'issuer',
      'kafka',
      'mysql',
      'operator',
      'redis',
    ]);
    for (const spec of defaults.values()) expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    // DNS (the kube-dns pods), the API server on its usual ports, and the dependencies.
    expect(egress(defaults.get('gate')!)).toEqual([
      '*:443',
      '*:6443',
      'kafka:9092',
      'peer:53',
      'peer:53',
      'redis:6379',
    ]);
    expect(egress(defaults.get('issuer')!)).toEqual([
      'kafka:9092',
      'mysql:3306',
      'peer:53',
      'peer:53',
    ]);
    expect(egress(defaults.get('operator')!)).toEqual([
      '*:443',
      '*:6443',
      'gate:9090',
      'kafka:9092',
      'peer:53',
      'peer:53',
    ]);
    for (const server of ['redis', 'kafka', 'mysql'])
      expect(egress(defaults.get(server)!)).toEqual(['peer:53', 'peer:53']);

    const on = policies(await render(everythingOn));
    const from = (name: string, port: number) =>
      on
        .get(name)!
        .ingress.find((r) => r.ports[0]!.port === port)!
        .from?.map((f) => component(f) ?? 'peer');
    expect(from('redis', 6379)).toEqual(['gate']);
    expect(from('mysql', 3306)).toEqual(['issuer']);
    expect(from('kafka', 9092)).toEqual(['gate', 'issuer', 'operator']);
    // The operator always reaches the gate's internal API; metricsFrom the scrapes.
    expect(from('gate', 9090)).toEqual(['operator', 'peer']);
    expect(from('gate', 8080)).toBeUndefined();

    // Servers of your own: their ports (from the settings) at externalTo, no bundled policy.
    const external = policies(
      await render({
        redis: { bundled: false, host: 'cache.internal', port: 6380 },
        kafka: { bundled: false, brokers: 'k1.internal:9093, k2.internal:9093,k3.internal:19093' },
        mysql: {
          bundled: false,
          host: 'db1.internal',
          port: 3307,
          hosts: ['db1.internal:3307', 'db2.internal:3308'],
          password: 'db-password',
        },
        networkPolicy: {
          externalTo: [{ ipBlock: { cidr: '10.20.0.0/16' } }],
          extraEgress: { issuer: [{ ports: [{ port: 4317, protocol: 'TCP' }] }] },
        },
      }),
    );
    expect([...external.keys()].sort()).toEqual(['gate', 'issuer', 'operator']);
    expect(egress(external.get('gate')!)).toEqual(
      ['*:443', '*:6443', 'peer:53', 'peer:53', 'peer:6380', 'peer:9093', 'peer:19093'].sort(),
    );
    expect(egress(external.get('issuer')!)).toEqual(
      ['*:4317', 'peer:19093', 'peer:3307', 'peer:3308', 'peer:53', 'peer:53', 'peer:9093'].sort(),
    );
    expect(external.get('issuer')!.egress.find((r) => r.ports[0]!.port === 3307)!.to).toEqual([
      { ipBlock: { cidr: '10.20.0.0/16' } },
    ]);

    const off = await render({ networkPolicy: { enabled: false } });
    expect(off.some((o) => o.kind === 'NetworkPolicy')).toBe(false);
  });

  it('gives the operator and every gate one shard count, and the names of exactly those shards', async () => {
    const objects = await render({
      gate: { configShards: 3 },
      operator: { maxEventsPerNamespace: 0 },
    });
    const gate = envOf(find(objects, 'Deployment', 'rediclaim-gate'));
    const operator = envOf(find(objects, 'Deployment', 'rediclaim-operator'));
    expect(gate.EVENTS_CONFIG_SHARDS).toBe('3');
    expect(operator.EVENTS_CONFIG_SHARDS).toBe('3');
    expect(operator.MAX_EVENTS_PER_NAMESPACE).toBe('0');
    const names = ['rediclaim-events-0', 'rediclaim-events-1', 'rediclaim-events-2'];
    type Rule = { resources: string[]; resourceNames?: string[]; verbs: string[] };
    const configMapRules = (role: string) =>
      (find(objects, 'Role', role).rules as Rule[]).filter(
        (r) => r.resources.includes('configmaps') && r.resourceNames,
      );
    expect(configMapRules('rediclaim-gate')).toEqual([
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: names,
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    expect(configMapRules('rediclaim-operator')).toEqual([
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: names,
        verbs: ['get', 'update'],
      },
    ]);
  });

  it('grants the operator Roles in the watched namespaces only when they are listed', async () => {
    const objects = await render(everythingOn);
    expect(
      objects.filter(
        (o) => o.kind === 'ClusterRoleBinding' && o.metadata.name.includes('operator'),
      ),
    ).toEqual([]);
    const tenantRoles = objects.filter(
      (o) => o.kind === 'Role' && o.metadata.namespace !== 'rediclaim',
    );
    expect(tenantRoles.map((r) => r.metadata.namespace).sort()).toEqual(['shop-a', 'shop-b']);
    expect(envOf(find(objects, 'Deployment', 'rediclaim-operator')).WATCH_NAMESPACES).toBe(
      'shop-a,shop-b',
    );
  });

  it('ships the same CouponEvent CRD as crds/', () => {
    const name = 'couponevents.rediclaim.io.yaml';
    expect(readFileSync(path.join(chartDir, 'crds', name), 'utf8')).toBe(
      readFileSync(path.join(repoRoot, 'crds', name), 'utf8'),
    );
  });

  it('keeps the generated secrets across uninstalls and tells the user where they are', async () => {
    const objects = await render();
    const secret = find(objects, 'Secret', 'rediclaim-secrets');
    expect(secret.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    const data = secret.stringData as Record<string, string>;
    expect(data['ticket-secret']!.length).toBeGreaterThanOrEqual(32);
    expect(data['coupon-code-secret']).not.toBe(data['ticket-secret']);
    expect(data['gate-admin-token']!.length).toBeGreaterThanOrEqual(32);
    // A key the gates and issuers both parse: an id, then a generated secret.
    expect(data['request-signing-keys']).toMatch(/^k1=[A-Za-z0-9]{40}$/);
    // One token acting for every tenant, in the format the issuer's REDEMPTION_API_KEYS reads.
    expect(data['redemption-api-keys']).toMatch(/^\*=[A-Za-z0-9]{40}$/);
    // The proof-of-work key: every gate replica signs and verifies challenges with it.
    expect(data['pow-hmac-key']).toMatch(/^[A-Za-z0-9]{40}$/);
    const gateEnv = podSpecOf(find(objects, 'Deployment', 'rediclaim-gate')).containers[0]!.env as {
      name: string;
      valueFrom?: { secretKeyRef?: unknown };
    }[];
    expect(gateEnv.find((e) => e.name === 'POW_HMAC_KEY')?.valueFrom?.secretKeyRef).toEqual({
      name: 'rediclaim-secrets',
      key: 'pow-hmac-key',
      optional: true,
    });
    const given = find(
      await render({
        secrets: {
          ticketSecret: 't'.repeat(32),
          couponCodeSecret: 'c'.repeat(32),
          gateAdminToken: 'a'.repeat(32),
          requestSigningKeys: `k2=${'n'.repeat(32)},k1=${'o'.repeat(32)}`,
          redemptionApiKeys: `shop=${'r'.repeat(32)}`,
          powHmacKey: 'p'.repeat(32),
        },
      }),
      'Secret',
      'rediclaim-secrets',
    );
    expect(given.stringData).toEqual({
      'ticket-secret': 't'.repeat(32),
      'coupon-code-secret': 'c'.repeat(32),
      'gate-admin-token': 'a'.repeat(32),
      'request-signing-keys': `k2=${'n'.repeat(32)},k1=${'o'.repeat(32)}`,
      'redemption-api-keys': `shop=${'r'.repeat(32)}`,
      'pow-hmac-key': 'p'.repeat(32),
    });
  });

  it('serves the redemption API on its own port and Service, its keys optional (off without them)', async () => {
    const objects = await render({
      networkPolicy: {
        enabled: true,
        redemptionFrom: [{ namespaceSelector: { matchLabels: { team: 'shop' } } }],
      },
    });
    const pod = podSpecOf(find(objects, 'Deployment', 'rediclaim-issuer'));
    const container = pod.containers[0]!;
    expect(container.ports).toContainEqual({ name: 'api', containerPort: 8092, protocol: 'TCP' });
    const env = container.env as { name: string; value?: string; valueFrom?: unknown }[];
    expect(env.find((e) => e.name === 'ISSUER_API_PORT')?.value).toBe('8092');
    expect(env.find((e) => e.name === 'REDEMPTION_API_KEYS')?.valueFrom).toEqual({
      secretKeyRef: { name: 'rediclaim-secrets', key: 'redemption-api-keys', optional: true },
    });
    const service = find(objects, 'Service', 'rediclaim-issuer-api');
    expect((service.spec as { ports: unknown }).ports).toEqual([
      { name: 'api', port: 8092, targetPort: 'api', protocol: 'TCP' },
    ]);
    const policy = find(objects, 'NetworkPolicy', 'rediclaim-issuer');
    expect((policy.spec as { ingress: unknown[] }).ingress).toContainEqual({
      ports: [{ port: 8092, protocol: 'TCP' }],
      from: [{ namespaceSelector: { matchLabels: { team: 'shop' } } }],
    });
    const off = await render({ issuer: { redemptionApi: { enabled: false } } });
    expect(
      off.some((o) => o.kind === 'Service' && o.metadata.name === 'rediclaim-issuer-api'),
    ).toBe(false);
  });

  it('guards the gate’s internal API with a token only the operator is given, never optional', async () => {
    const objects = await render();
    const tokenRef = { secretKeyRef: { name: 'rediclaim-secrets', key: 'gate-admin-token' } };
    const envOf = (name: string) =>
      podSpecOf(find(objects, 'Deployment', name)).containers[0]!.env as {
        name: string;
        valueFrom?: unknown;
      }[];
    expect(envOf('rediclaim-gate').find((e) => e.name === 'ADMIN_TOKEN')?.valueFrom).toEqual(
      tokenRef,
    );
    expect(
      envOf('rediclaim-operator').find((e) => e.name === 'GATE_ADMIN_TOKEN')?.valueFrom,
    ).toEqual(tokenRef);
    expect(envOf('rediclaim-issuer').some((e) => e.name.includes('ADMIN_TOKEN'))).toBe(false);
  });

  it('ships a helm test that asks the gate, through its Services, whether it is ready', async () => {
    const pod = find(await render({}, 'shop'), 'Pod', 'rediclaim-gate-test');
    expect(pod.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'test' });
    const args = podSpecOf(pod).containers[0]!.command as string[];
    expect(args).toContain('http://rediclaim-gate.shop.svc:80/readyz');
    expect(args).toContain('http://rediclaim-gate-admin.shop.svc:9090/readyz');
  });

  it('prints next steps from helm install to a sale in NOTES.txt', async () => {
    const result = await helm(
      ['install', 'rediclaim', chartDir, '-n', 'rediclaim', '--dry-run=client'],
      {},
    );
    expect(result.stderr).toBe('');
    const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'));
    expect(notes).toContain('kubectl rollout status deployment/rediclaim-gate -n rediclaim');
    expect(notes).toContain('kubectl get couponevents');
    expect(notes).toContain('kubectl port-forward -n rediclaim service/rediclaim-gate 8080:80');
    expect(notes).toContain('/gate/events/<eventId>/enqueue?userId=');
  });
});

describe('values.schema.json and the chart refuse mistakes, naming the value', () => {
  it.each<[string, Values, RegExp]>([
    [
      'zero gate replicas',
      { gate: { replicas: 0 } },
      /at '\/gate\/replicas': minimum: got 0, want 1/,
    ],
    [
      'a misspelt value',
      { gate: { replica: 2 } },
      /at '\/gate': additional properties 'replica' not allowed/,
    ],
    [
      'an unknown pull policy',
      { image: { pullPolicy: 'Sometimes' } },
      /at '\/image\/pullPolicy': value must be one of/,
    ],
    [
      'brokers without ports',
      { kafka: { bundled: false, brokers: 'kafka' } },
      /at '\/kafka\/brokers': 'kafka' does not match/,
    ],
    [
      'a password that would break MYSQL_URL',
      { mysql: { password: 'p@ss/word' } },
      /at '\/mysql\/password'/,
    ],
    [
      'a short coupon code secret',
      { secrets: { couponCodeSecret: 'short' } },
      /at '\/secrets\/couponCodeSecret'.*\n.*\n.*minLength: got 5, want 32/,
    ],
    [
      'an invalid namespace to watch',
      { operator: { watchNamespaces: ['Shop_A'] } },
      /at '\/operator\/watchNamespaces\/0': 'Shop_A' does not match/,
    ],
    [
      'no events ConfigMap at all',
      { gate: { configShards: 0 } },
      /at '\/gate\/configShards': minimum: got 0, want 1/,
    ],
    [
      'a negative quota of events',
      { operator: { maxEventsPerNamespace: -1 } },
      /at '\/operator\/maxEventsPerNamespace': minimum: got -1, want 0/,
    ],
    [
      'no issuer at all',
      { issuer: { maxReplicas: 0 } },
      /at '\/issuer\/maxReplicas': minimum: got 0, want 1/,
    ],
    [
      'a string where a number belongs',
      { redis: { port: '6379' } },
      /at '\/redis\/port': got string, want integer/,
    ],
    [
      'more minimum than maximum issuers',
      { issuer: { minReplicas: 5, maxReplicas: 2 } },
      /issuer.minReplicas \(5\) must not be greater than issuer.maxReplicas \(2\)/,
    ],
    [
      'an external Redis without a host',
      { redis: { bundled: false } },
      /redis.host is required when redis.bundled is false/,
    ],
    [
      'a CA of your own for the bundled Redis, whose certificate the chart signs',
      { redis: { tls: { enabled: true, caSecret: 'ca' } } },
      /redis\.tls\.caSecret is for your own redis/,
    ],
    [
      'a client certificate for the bundled Redis, which asks for none',
      { redis: { tls: { enabled: true, clientCertSecret: 'c' } } },
      /redis\.tls\.clientCertSecret is for your own Redis/,
    ],
    [
      'a Redis CA without TLS, which would be ignored',
      { redis: { bundled: false, host: 'r', tls: { caSecret: 'ca' } } },
      /redis.tls.caSecret, clientCertSecret and serverName need redis.tls.enabled/,
    ],
    [
      'a Redis user without a password',
      { redis: { bundled: false, host: 'r', username: 'gate' } },
      /redis.username needs a password/,
    ],
    [
      'the former redis.tls: true',
      { redis: { bundled: false, host: 'r', tls: true } },
      /at '\/redis\/tls': got boolean, want object/,
    ],
    [
      'an external Kafka without brokers',
      { kafka: { bundled: false } },
      /kafka.brokers is required when kafka.bundled is false/,
    ],
    [
      'a CA of your own for the bundled Kafka, whose certificate the chart signs',
      { kafka: { tls: { enabled: true, caSecret: 'ca' } } },
      /kafka\.tls\.caSecret is for your own kafka/,
    ],
    [
      'SASL PLAIN with the bundled Kafka, which makes SCRAM users only',
      { kafka: { tls: { enabled: true }, sasl: { mechanism: 'plain' } } },
      /kafka\.sasl\.mechanism plain: the bundled Kafka makes SCRAM users only/,
    ],
    [
      'Kafka SASL PLAIN without TLS',
      {
        kafka: {
          bundled: false,
          brokers: 'k:9092',
          sasl: { mechanism: 'plain', username: 'u', existingSecret: 's' },
        },
      },
      /kafka.sasl.mechanism plain sends the password as it is/,
    ],
    [
      'Kafka SASL without the Secret of its password',
      {
        kafka: {
          bundled: false,
          brokers: 'k:9092',
          sasl: { mechanism: 'scram-sha-512', username: 'u' },
        },
      },
      /kafka.sasl.existingSecret .* is required with kafka.sasl.mechanism/,
    ],
    [
      'an unknown Kafka SASL mechanism',
      { kafka: { sasl: { mechanism: 'gssapi' } } },
      /at '\/kafka\/sasl\/mechanism': value must be one of/,
    ],
    [
      'an external MySQL without a password',
      { mysql: { bundled: false, host: 'db' } },
      /mysql.password or mysql.existingSecret is required when mysql.bundled is false/,
    ],
  ])('refuses %s', async (_name, values, message) => {
    const result = await helm(
      ['template', 'rediclaim', chartDir, '--kube-version', kubeVersion],
      values,
    );
    expect(result.ok).toBe(false);
    expect(result.stderr).toMatch(message);
  });
});
