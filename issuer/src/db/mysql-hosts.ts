import { isIP } from 'node:net';
import type { z } from 'zod';
import {
  endpointName,
  hostListSchema,
  parseHostList,
  sameEndpoint,
  type Endpoint,
} from '@rediclaim/core';

export { endpointName, sameEndpoint, type Endpoint };

const DEFAULT_PORT = 3306;
/** More candidates than any replication topology the issuer should search through. */
const MYSQL_HOSTS_RULES = { defaultPort: DEFAULT_PORT, maxHosts: 16 };

/** `host:port,...` of MYSQL_HOSTS, or what is wrong with it. */
export const parseMysqlHosts = (value: string): Endpoint[] | string =>
  parseHostList(value, MYSQL_HOSTS_RULES);

/** MYSQL_HOSTS: unset means MYSQL_URL's server alone, as before failover existed. */
export const mysqlHostsSchema = hostListSchema(MYSQL_HOSTS_RULES).optional();

/** The server MYSQL_URL names. */
export function endpointOfUrl(url: string): Endpoint | undefined {
  try {
    const parsed = new URL(url);
    return {
      host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: parsed.port ? Number(parsed.port) : DEFAULT_PORT,
    };
  } catch {
    return undefined;
  }
}

interface HostsSettings {
  MYSQL_URL: string;
  MYSQL_HOSTS?: Endpoint[] | undefined;
  MYSQL_TLS_MODE: string;
}

/**
 * MYSQL_URL's server must be among MYSQL_HOSTS (a URL naming a server the issuer would
 * never use misleads whoever reads the settings), and with verify-identity every
 * candidate needs a DNS name: the certificate is checked against the server connected to.
 */
export function refineMysqlHosts(s: HostsSettings, ctx: z.RefinementCtx): void {
  const hosts = s.MYSQL_HOSTS;
  if (!hosts) return;
  const named = endpointOfUrl(s.MYSQL_URL);
  if (named && !hosts.some((e) => sameEndpoint(e, named)))
    ctx.addIssue({
      code: 'custom',
      path: ['MYSQL_HOSTS'],
      message: `must include MYSQL_URL's server (${endpointName(named)}): list every server that may be the primary, MYSQL_URL's among them (MYSQL_URL still gives the user, password and database)`,
    });
  if (s.MYSQL_TLS_MODE === 'verify-identity')
    for (const e of hosts.filter((h) => isIP(h.host) !== 0))
      ctx.addIssue({
        code: 'custom',
        path: ['MYSQL_HOSTS'],
        message: `names ${endpointName(e)} by IP address: with MYSQL_TLS_MODE=verify-identity name every server by a DNS name its certificate holds (the driver cannot check an address), or use verify-ca`,
      });
}
