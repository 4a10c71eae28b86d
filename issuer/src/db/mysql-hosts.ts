import { isIP } from 'node:net';
import { z } from 'zod';

/** One MySQL server: where a connection goes. */
export interface Endpoint {
  host: string;
  port: number;
}

const DEFAULT_PORT = 3306;
/** More candidates than any replication topology the issuer should search through. */
const MAX_HOSTS = 16;

/** host:port as people write it ([v6]:port for an IPv6 address). */
export function endpointName(e: Endpoint): string {
  return `${isIP(e.host) === 6 ? `[${e.host}]` : e.host}:${e.port}`;
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && a.host.toLowerCase() === b.host.toLowerCase();
}

/**
 * `host:port,host:port,...` (a port left out is 3306; an IPv6 address in brackets), or
 * what is wrong with it, in a sentence.
 */
export function parseMysqlHosts(value: string): Endpoint[] | string {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === ''))
    return 'must be host:port entries separated by commas, none of them empty';
  if (items.length > MAX_HOSTS) return `lists ${items.length} servers; at most ${MAX_HOSTS}`;
  const endpoints: Endpoint[] = [];
  for (const item of items) {
    const endpoint = parseEndpoint(item);
    if (typeof endpoint === 'string') return `${JSON.stringify(item)} ${endpoint}`;
    if (endpoints.some((e) => sameEndpoint(e, endpoint)))
      return `lists ${endpointName(endpoint)} twice`;
    endpoints.push(endpoint);
  }
  return endpoints;
}

function parseEndpoint(item: string): Endpoint | string {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s/]+))(?::(\d{1,5}))?$/.exec(item);
  if (!match) return 'is not host or host:port (an IPv6 address goes in brackets: [::1]:3306)';
  const host = match[1] ?? match[2]!;
  if (match[1] !== undefined && isIP(host) !== 6) return 'has brackets around no IPv6 address';
  const port = match[3] === undefined ? DEFAULT_PORT : Number(match[3]);
  if (port < 1 || port > 65_535) return 'has a port outside 1-65535';
  return { host, port };
}

/** MYSQL_HOSTS: unset means MYSQL_URL's server alone, as before failover existed. */
export const mysqlHostsSchema = z
  .string()
  .transform((value, ctx) => {
    const parsed = parseMysqlHosts(value);
    if (typeof parsed !== 'string') return parsed;
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  })
  .optional();

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
