import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';

/**
 * HTTP against a listening app, shaped like fastify's inject() results. Jest (on Node
 * 20) cannot load light-my-request, which inject() needs: it requires the ESM-only
 * cookie@2 from CommonJS. Real sockets test more of the stack anyway.
 */
export interface Response {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface Request {
  method?: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'OPTIONS';
  url: string;
  payload?: string | object;
  headers?: Record<string, string>;
}

export type Client = (request: Request) => Promise<Response>;

export function clientOf(baseUrl: string): Client {
  return async ({ method = 'GET', url, payload, headers = {} }) => {
    const body =
      payload === undefined
        ? undefined
        : typeof payload === 'string'
          ? payload
          : JSON.stringify(payload);
    const res = await fetch(baseUrl + url, {
      method,
      headers: {
        ...(typeof payload === 'object' ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    const out: Record<string, string> = {};
    res.headers.forEach((value, key) => (out[key] = value));
    return { statusCode: res.status, headers: out, body: text, json: () => JSON.parse(text) };
  };
}

/** Listens on a free loopback port and returns a client of it. */
export async function listenLocally(app: FastifyInstance): Promise<Client> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return clientOf(`http://127.0.0.1:${port}`);
}
