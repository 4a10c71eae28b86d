import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

interface AgentFactory {
  createAgent?: (cluster: unknown, options: https.AgentOptions) => http.Agent;
}

/**
 * Makes every request through this KubeConfig share one keep-alive connection pool.
 * @kubernetes/client-node 1.4 builds a new https.Agent for each request (KubeConfig's
 * private createAgent), so each call pays a TCP and TLS handshake; at a cold start of
 * hundreds of CouponEvents those handshakes are most of the operator's CPU. The agent
 * options (CA, client certificate) are the same for every request of one KubeConfig,
 * so one pooled agent serves them all. Clusters behind a proxy keep the library's agents.
 * If a later client version drops the method, this changes nothing (and costs speed only).
 */
export function reuseConnections(kc: KubeConfig): KubeConfig {
  const cluster = kc.getCurrentCluster();
  const target = kc as unknown as AgentFactory;
  if (!cluster || cluster.proxyUrl || typeof target.createAgent !== 'function') return kc;
  let agent: http.Agent | undefined;
  target.createAgent = (_cluster, options) =>
    (agent ??= cluster.server.startsWith('http:')
      ? new http.Agent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 8 })
      : new https.Agent({ ...options, keepAlive: true, maxSockets: 32, maxFreeSockets: 8 }));
  return kc;
}
