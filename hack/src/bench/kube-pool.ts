import type { KubeConfig, RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

/**
 * One keep-alive connection pool for every call made through `kc`, as the operator's
 * runtime/kube/connections.ts does for the same reason: client-node 2.x builds a new
 * agent (a TCP and TLS handshake) per call, and a load generator that pays a handshake
 * per create measures itself, not the API server.
 */
export function pooled(kc: KubeConfig): KubeConfig {
  const authenticate = kc.applySecurityAuthentication.bind(kc);
  let pool: Dispatcher | undefined;
  kc.applySecurityAuthentication = async (context: RequestContext) => {
    await authenticate(context);
    const created = context.getDispatcher();
    if (!created) return;
    if (!pool) pool = created;
    else if (created !== pool) void created.close().catch(() => undefined);
    context.setDispatcher(pool);
  };
  return kc;
}
