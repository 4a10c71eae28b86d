// The chart's mysql.hosts (the issuer's MYSQL_HOSTS), rendered with helm template: the
// list the issuer follows the primary among, and refusals of what the issuer would
// refuse at start-up anyway, so that a wrong release fails at `helm install`.
import { describe, expect, it } from '@jest/globals';
import { loadSettings } from '@rediclaim/issuer';
import { envOf, externalDeps, find, render, type Values } from './support/chart.js';

const replicated = (mysql: Values = {}): Values => ({
  ...externalDeps,
  mysql: {
    ...(externalDeps.mysql as Values),
    host: 'db-0.db.data.svc',
    hosts: ['db-0.db.data.svc:3306', 'db-1.db.data.svc:3306'],
    ...mysql,
  },
});

describe('mysql.hosts', () => {
  it('gives the issuer every server that may be the primary, which its settings accept', async () => {
    const issuer = envOf(find(await render(replicated()), 'Deployment', 'rediclaim-issuer'));
    expect(issuer.MYSQL_HOSTS).toBe('db-0.db.data.svc:3306,db-1.db.data.svc:3306');
    expect(issuer.MYSQL_URL).toBe(
      'mysql://rediclaim:$(MYSQL_PASSWORD)@db-0.db.data.svc:3306/rediclaim',
    );
    const settings = loadSettings({
      MYSQL_URL: issuer.MYSQL_URL!.replace('$(MYSQL_PASSWORD)', 'pw'),
      MYSQL_HOSTS: issuer.MYSQL_HOSTS!,
      COUPON_CODE_SECRET: 'sixteen-chars-ok',
      KAFKA_BROKERS: 'k:9092',
      REQUEST_SIGNATURES: 'optional',
    });
    expect(settings.MYSQL_HOSTS).toEqual([
      { host: 'db-0.db.data.svc', port: 3306 },
      { host: 'db-1.db.data.svc', port: 3306 },
    ]);
  });

  it('sets nothing by default: the issuer uses mysql.host alone', async () => {
    for (const values of [{}, externalDeps]) {
      const issuer = envOf(find(await render(values), 'Deployment', 'rediclaim-issuer'));
      expect(issuer.MYSQL_HOSTS).toBeUndefined();
    }
  });

  it.each([
    [
      'the bundled MariaDB',
      { bundled: true },
      /mysql\.hosts needs your own replicated MySQL .*: the bundled MariaDB is one server/,
    ],
    [
      'a list without the server MYSQL_URL names',
      { host: 'db-2.db.data.svc' },
      /mysql\.hosts must include db-2\.db\.data\.svc:3306 \(mysql\.host:mysql\.port, the server MYSQL_URL names\)/,
    ],
    [
      'an entry without a port',
      { hosts: ['db-0.db.data.svc:3306', 'db-1.db.data.svc'] },
      /at '\/mysql\/hosts\/1'/,
    ],
    [
      'the same server twice',
      { hosts: ['db-0.db.data.svc:3306', 'db-0.db.data.svc:3306'] },
      /at '\/mysql\/hosts'/,
    ],
    [
      'IP addresses with verify-identity',
      {
        hosts: ['db-0.db.data.svc:3306', '10.1.2.4:3306'],
        tls: { mode: 'verify-identity', caSecret: 'ca' },
      },
      /verify-identity needs every server of mysql\.hosts named by a DNS name in its certificate, not an IP address \(10\.1\.2\.4:3306\)/,
    ],
  ])('refuses %s', async (_name, mysql, message) => {
    await expect(render(replicated(mysql))).rejects.toThrow(message);
  });
});
