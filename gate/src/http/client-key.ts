import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';

/**
 * Who a per-client limit counts: the client's address as fastify reads it (TRUST_PROXY
 * decides which X-Forwarded-For hop that is), IPv6 clients grouped by their /56 like
 * @fastify/rate-limit's own rule, since one host holds a whole subnet.
 */
export function clientKeyOf(request: FastifyRequest): string {
  return request.ip.includes(':') ? normalizeIP(request.ip) : request.ip;
}
