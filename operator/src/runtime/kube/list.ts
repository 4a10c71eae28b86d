import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ApiServerError } from './watch.js';

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
}

interface ListPage<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

function getJson<T>(kc: KubeConfig, url: URL, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const options: https.RequestOptions = {};
    kc.applyToHTTPSOptions(options)
      .then(() => {
        const transport = url.protocol === 'http:' ? http : https;
        const request = transport.request(url, {
          ...options,
          method: 'GET',
          headers: { ...options.headers, Accept: 'application/json' },
          signal,
        });
        request.setTimeout(timeoutMs, () =>
          request.destroy(
            new ApiServerError(`GET ${url.pathname} timed out after ${timeoutMs} ms`),
          ),
        );
        request.on('error', reject);
        request.on('response', (response) => {
          response.setEncoding('utf8');
          let body = '';
          response.on('data', (chunk: string) => (body += chunk));
          response.on('error', reject);
          response.on('end', () => {
            let parsed: unknown;
            try {
              parsed = JSON.parse(body);
            } catch {
              parsed = undefined;
            }
            if (response.statusCode === 200 && parsed) return resolve(parsed as T);
            const message = (parsed as { message?: string } | undefined)?.message ?? body.trim();
            reject(
              new ApiServerError(
                `GET ${url.pathname}: ${message || `HTTP ${response.statusCode}`}`,
                response.statusCode,
              ),
            );
          });
        });
        request.end();
      })
      .catch(reject);
  });
}

/**
 * Lists every object under `path` in pages of `pageSize` (a large list in one response
 * is slow for the API server and for us), returning the list's resourceVersion: the
 * point a watch continues from.
 */
export async function listAll<T>(
  kc: KubeConfig,
  path: string,
  options: { pageSize?: number; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ListResult<T>> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const items: T[] = [];
  let continueToken: string | undefined;
  let resourceVersion = '';
  do {
    const url = new URL(cluster.server.replace(/\/$/, '') + path);
    url.searchParams.set('limit', String(options.pageSize ?? 500));
    if (continueToken) url.searchParams.set('continue', continueToken);
    const page = await getJson<ListPage<T>>(kc, url, options.timeoutMs ?? 60_000, options.signal);
    items.push(...(page.items ?? []));
    continueToken = page.metadata?.continue || undefined;
    resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
  } while (continueToken);
  return { items, resourceVersion };
}
