import { z } from 'zod';

/** One server: where a connection goes. */
export interface Endpoint {
  host: string;
  port: number;
}

/** What a list of servers may hold, and the port an entry without one gets. */
export interface HostListRules {
  defaultPort: number;
  maxHosts: number;
}

const ipv6 = z.ipv6();
const isIPv6 = (host: string): boolean => ipv6.safeParse(host).success;

/** host:port as people write it ([v6]:port for an IPv6 address). */
export function endpointName(e: Endpoint): string {
  return `${isIPv6(e.host) ? `[${e.host}]` : e.host}:${e.port}`;
}

export function sameEndpoint(a: Endpoint, b: Endpoint): boolean {
  return a.port === b.port && a.host.toLowerCase() === b.host.toLowerCase();
}

/**
 * `host:port,host:port,...` (a port left out is the default one; an IPv6 address in
 * brackets), or what is wrong with it, in a sentence: MYSQL_HOSTS, REDIS_CLUSTER_NODES.
 */
export function parseHostList(value: string, rules: HostListRules): Endpoint[] | string {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === ''))
    return 'must be host:port entries separated by commas, none of them empty';
  if (items.length > rules.maxHosts)
    return `lists ${items.length} servers; at most ${rules.maxHosts}`;
  const endpoints: Endpoint[] = [];
  for (const item of items) {
    const endpoint = parseEndpoint(item, rules.defaultPort);
    if (typeof endpoint === 'string') return `${JSON.stringify(item)} ${endpoint}`;
    if (endpoints.some((e) => sameEndpoint(e, endpoint)))
      return `lists ${endpointName(endpoint)} twice`;
    endpoints.push(endpoint);
  }
  return endpoints;
}

function parseEndpoint(item: string, defaultPort: number): Endpoint | string {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s/@]+))(?::(\d{1,5}))?$/.exec(item);
  if (!match)
    return `is not host or host:port (an IPv6 address goes in brackets: [::1]:${defaultPort})`;
  const host = match[1] ?? match[2]!;
  if (match[1] !== undefined && !isIPv6(host)) return 'has brackets around no IPv6 address';
  const port = match[3] === undefined ? defaultPort : Number(match[3]);
  if (port < 1 || port > 65_535) return 'has a port outside 1-65535';
  return { host, port };
}

/** A setting that lists servers, parsed, with parseHostList's sentence as its error. */
export function hostListSchema(rules: HostListRules) {
  return z.string().transform((value, ctx) => {
    const parsed = parseHostList(value, rules);
    if (typeof parsed !== 'string') return parsed;
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  });
}
