import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

/** A list or watch the API server refused or ended with an error; `code` 410 means "relist". */
export class ApiServerError extends Error {
  override readonly name = 'ApiServerError';
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

export interface WatchOptions {
  /** Aborting ends the watch quietly (the promise resolves). */
  signal?: AbortSignal;
  /**
   * No byte for this long (not even a bookmark) means a dead connection that never
   * said so (kubernetes-client/javascript#364, #596): the watch fails and is redone.
   */
  idleTimeoutMs: number;
}

/**
 * One watch request, streamed: calls `onEvent` for each event, resolves when the server
 * ends the stream (its timeoutSeconds) and rejects on any failure, including an ERROR
 * event (410 Gone among them). Written on node:https rather than the client's `Watch`,
 * which has no timeout of any kind and cannot be aborted before the response starts.
 */
export function watchOnce<T>(
  kc: KubeConfig,
  path: string,
  params: Record<string, string | number | boolean | undefined>,
  onEvent: (event: WatchEvent<T>) => void,
  options: WatchOptions,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cluster = kc.getCurrentCluster();
    if (!cluster) return reject(new Error('the kubeconfig has no current cluster'));
    if (options.signal?.aborted) return resolve();
    let settled = false;
    let request: http.ClientRequest | undefined;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      request?.destroy();
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => finish();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const url = new URL(cluster.server.replace(/\/$/, '') + path);
    url.searchParams.set('watch', 'true');
    for (const [key, value] of Object.entries(params))
      if (value !== undefined) url.searchParams.set(key, String(value));

    const requestOptions: https.RequestOptions = {};
    kc.applyToHTTPSOptions(requestOptions)
      .then(() => {
        if (settled) return;
        const transport = url.protocol === 'http:' ? http : https;
        request = transport.request(url, {
          ...requestOptions,
          method: 'GET',
          headers: { ...requestOptions.headers, Accept: 'application/json' },
        });
        request.setTimeout(options.idleTimeoutMs, () =>
          finish(new ApiServerError(`watch ${path} was silent for ${options.idleTimeoutMs} ms`)),
        );
        request.on('socket', (socket) => socket.setKeepAlive(true, 15_000));
        request.on('error', (error) => finish(error));
        request.on('response', (response) => {
          response.setEncoding('utf8');
          if (response.statusCode !== 200) {
            let body = '';
            response.on('data', (chunk: string) => (body += chunk));
            response.on('end', () => {
              let message = body.trim() || `HTTP ${response.statusCode}`;
              try {
                message = (JSON.parse(body) as { message?: string }).message ?? message;
              } catch {
                // not a Status document
              }
              finish(new ApiServerError(`watch ${path}: ${message}`, response.statusCode));
            });
            return;
          }
          let buffered = '';
          response.on('data', (chunk: string) => {
            buffered += chunk;
            let newline: number;
            while (!settled && (newline = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, newline).trim();
              buffered = buffered.slice(newline + 1);
              if (!line) continue;
              let event: WatchEvent<T>;
              try {
                event = JSON.parse(line) as WatchEvent<T>;
              } catch {
                return finish(new ApiServerError(`watch ${path} sent a line that is not JSON`));
              }
              if (event.type === 'ERROR') {
                const status = event.object as { code?: number; message?: string };
                return finish(
                  new ApiServerError(`watch ${path}: ${status.message ?? 'error'}`, status.code),
                );
              }
              try {
                onEvent(event);
              } catch (error) {
                return finish(error as Error);
              }
            }
          });
          response.on('end', () => finish());
          response.on('aborted', () => finish(new ApiServerError(`watch ${path} was cut off`)));
          response.on('error', (error) => finish(error));
        });
        request.end();
      })
      .catch((error: unknown) => finish(error as Error));
  });
}
