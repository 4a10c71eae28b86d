import type { Logger } from 'pino';
import type { IssuerMetrics } from '../metrics.js';
import { connectionPartsOf } from './data-source.js';
import { endpointName, type Endpoint } from './mysql-hosts.js';
import { PING_TIMEOUT_MS } from './ping.js';
import { PrimaryFinder } from './primary-finder.js';
import type { MysqlTls } from './tls.js';
import { takesWrites } from './writable-probe.js';

/**
 * With MYSQL_HOSTS, the finder every connection of the issuer goes through: candidates
 * asked with MYSQL_URL's user and the pool's TLS, within the ping's time, and a move of
 * the primary logged and counted. Undefined without MYSQL_HOSTS: MYSQL_URL's server alone.
 */
export function followPrimary(
  s: { MYSQL_URL: string; MYSQL_HOSTS?: Endpoint[] | undefined },
  tls: MysqlTls,
  logger: Logger,
  metrics: IssuerMetrics,
): PrimaryFinder | undefined {
  if (!s.MYSQL_HOSTS) return undefined;
  const { user, password } = connectionPartsOf(s.MYSQL_URL);
  return new PrimaryFinder({
    candidates: s.MYSQL_HOSTS,
    ask: (endpoint) => takesWrites(endpoint, { user, password, tls, timeoutMs: PING_TIMEOUT_MS }),
    changed: (to, from) => {
      if (!from) {
        logger.info({ primary: endpointName(to) }, 'MySQL primary found');
        return;
      }
      metrics.mysqlPrimaryChanges.inc();
      logger.warn(
        { primary: endpointName(to), previous: endpointName(from) },
        'MySQL primary moved: new connections go to the new primary, those to the old one are closed',
      );
    },
  });
}
