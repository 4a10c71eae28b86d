import http from 'node:http';
import https from 'node:https';
import type { KubeConfig, RequestContext } from '@kubernetes/client-node';

interface Tunable {
  createAgent?: (cluster: unknown, options: https.AgentOptions) => http.Agent;
  applySecurityAuthentication?: (context: RequestContext) => Promise<void>;
  [tuned]?: true;
}

const tuned = Symbol('rediclaim.tuned');

/**
 * Two fixes to how @kubernetes/client-node 1.4 sends API calls, applied once per
 * KubeConfig (every client made from it, and the informer's list and watch, share them):
 *
 * - One keep-alive connection pool. The client builds a new https.Agent for each request
 *   (KubeConfig's private createAgent), so every call pays a TCP and TLS handshake; at a
 *   cold start of hundreds of objects those handshakes were most of the work. The
 *   agent options (CA, client certificate) are the same for every request of one
 *   KubeConfig, so one pooled agent serves them all. Clusters behind a proxy keep the
 *   library's agents.
 * - A deadline on every call of the generated clients (they have none): a hung request
 *   fails after `timeoutMs` and is retried with backoff instead of holding a worker forever.
 *   The hook is the public applySecurityAuthentication, which runs for every such call.
 *
 * If a later client version drops either method, that fix is skipped (speed or the
 * deadline is lost, nothing breaks).
 */
export function tuneKubeConfig(kc: KubeConfig, timeoutMs: number): KubeConfig {
  const target = kc as unknown as Tunable;
  if (target[tuned]) return kc;
  target[tuned] = true;
  const cluster = kc.getCurrentCluster();
  if (cluster && !cluster.proxyUrl && typeof target.createAgent === 'function') {
    let agent: http.Agent | undefined;
    target.createAgent = (_cluster, options) =>
      (agent ??= cluster.server.startsWith('http:')
        ? new http.Agent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 8 })
        : new https.Agent({ ...options, keepAlive: true, maxSockets: 32, maxFreeSockets: 8 }));
  }
  const authenticate = target.applySecurityAuthentication?.bind(kc);
  if (authenticate)
    target.applySecurityAuthentication = async (context) => {
      await authenticate(context);
      if (!context.getSignal()) context.setSignal(AbortSignal.timeout(timeoutMs));
    };
  return kc;
}
