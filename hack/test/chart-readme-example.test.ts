// The chart README's production values file, as a reader would copy it: it must render,
// and say to every service what the README says it does (replicated topics, the MySQL
// servers that may be the primary). A values change that breaks the example fails here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import * as yaml from 'js-yaml';
import { chartDir, envOf, find, render, type Values } from './support/chart.js';

/** The first ```yaml block after the README's "Production" line. */
function productionExample(): Values {
  const readme = readFileSync(path.join(chartDir, 'README.md'), 'utf8');
  const from = readme.indexOf('Production, with your own');
  const block = /```yaml\n([\s\S]*?)```/.exec(readme.slice(from));
  if (from < 0 || !block) throw new Error('the chart README has no production values example');
  return yaml.load(block[1]!) as Values;
}

describe("the chart README's production example", () => {
  it('renders, with replicated topics for every service and the issuer following the primary', async () => {
    const objects = await render(productionExample());
    for (const service of ['gate', 'issuer', 'operator']) {
      const env = envOf(find(objects, 'Deployment', `rediclaim-${service}`));
      expect([service, env.KAFKA_REPLICATION_FACTOR, env.KAFKA_MIN_INSYNC_REPLICAS]).toEqual([
        service,
        '3',
        '2',
      ]);
    }
    const issuer = envOf(find(objects, 'Deployment', 'rediclaim-issuer'));
    expect(issuer.MYSQL_HOSTS).toBe('mysql-0.mysql.data.svc:3306,mysql-1.mysql.data.svc:3306');
    expect(objects.some((o) => o.kind === 'StatefulSet')).toBe(false);
  });

  it('is what the root README asks of production: verified identities, TLS everywhere, fleet-wide limits, policies', async () => {
    const objects = await render(productionExample());
    const gate = envOf(find(objects, 'Deployment', 'rediclaim-gate'));
    const issuer = envOf(find(objects, 'Deployment', 'rediclaim-issuer'));
    expect(gate).toMatchObject({
      IDENTITY_MODE: 'jwt',
      JWT_PUBLIC_KEY: 'secret:shop-jwt/public.pem',
      TRUST_PROXY: '1',
      RATE_LIMIT_STORE: 'redis',
      REDIS_USERNAME: 'rediclaim',
      KAFKA_TLS: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
    });
    expect(gate.REDIS_URL).toMatch(/^rediss:\/\//);
    expect(issuer).toMatchObject({ MYSQL_TLS_MODE: 'verify-identity', KAFKA_TLS: 'true' });
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name);
    expect(policies.sort()).toEqual(['rediclaim-gate', 'rediclaim-issuer', 'rediclaim-operator']);
  });
});
