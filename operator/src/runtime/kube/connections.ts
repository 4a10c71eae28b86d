import type { KubeConfig, RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

const tuned = Symbol('rediclaim.tuned');

/**
 * Two fixes to how @kubernetes/client-node 2.x sends API calls, applied once per
 * KubeConfig through its public applySecurityAuthentication hook, which every call of
 * the generated clients and the informer's list and watch go through:
 *
 * - One keep-alive connection pool. The client builds a new undici Agent for every call,
 *   so every call pays a TCP and TLS handshake; at a cold start of hundreds of objects
 *   those handshakes were most of the work. The TLS options (CA, client certificate) are
 *   the same for every call of one KubeConfig, so the first call's agent serves them all.
 * - A deadline on every call of the generated clients (they have none): a hung request
 *   fails after `timeoutMs` and is retried with backoff instead of holding a worker
 *   forever. Watches bring their own signal and are left alone.
 */
export function tuneKubeConfig(kc: KubeConfig, timeoutMs: number): KubeConfig {
  const target = kc as KubeConfig & { [tuned]?: true };
  if (target[tuned]) return kc;
  target[tuned] = true;
  const authenticate = kc.applySecurityAuthentication.bind(kc);
  let pool: Dispatcher | undefined;
  kc.applySecurityAuthentication = async (context: RequestContext) => {
    await authenticate(context);
    const created = context.getDispatcher();
    if (created) {
      if (!pool) pool = created;
      else if (created !== pool) void created.close().catch(() => undefined);
      context.setDispatcher(pool);
    }
    if (!context.getSignal()) context.setSignal(AbortSignal.timeout(timeoutMs));
  };
  return kc;
}
