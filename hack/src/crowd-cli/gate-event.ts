import { CrowdCliError, ExitCode } from './errors.js';

/** What GET /v1/events/:eventId says about the sale (the fields the crowd plans with). */
export interface GateEvent {
  phase: string;
  opensAt: string;
  preQueueOpensAt?: string | null;
  closesAt?: string | null;
  stock: number;
  remaining: number;
  soldOut: boolean;
  dispatchPerSecond?: number;
}

const PROBE_TIMEOUT_MS = 10_000;

/**
 * Asks one gate about the event before any shopper goes, so that a wrong URL, an event
 * the gate does not know or a gate that is down fails in a second with a sentence, not
 * as a crowd of lost shoppers after the timeout.
 */
export async function readGateEvent(gateUrl: string, eventId: string): Promise<GateEvent> {
  const url = `${gateUrl}/v1/events/${encodeURIComponent(eventId)}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError'
        ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new CrowdCliError(`cannot reach the gate at ${gateUrl}: ${why}`, ExitCode.CannotRun);
  }
  const text = await res.text();
  let body: Partial<GateEvent> & { code?: string; message?: string };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new CrowdCliError(
      `${gateUrl} is not a rediclaim gate: GET ${url} answered ${res.status} with ${text.length > 0 ? 'something other than JSON' : 'nothing'}`,
      ExitCode.CannotRun,
    );
  }
  if (res.status === 404 && body.code === 'UNKNOWN_EVENT')
    throw new CrowdCliError(
      `the gate at ${gateUrl} does not know event "${eventId}": check --event (the CouponEvent's spec.eventId) and that the CouponEvent was applied (kubectl get couponevents -A)`,
      ExitCode.CannotRun,
    );
  if (res.status !== 200 || typeof body.phase !== 'string')
    throw new CrowdCliError(
      `the gate at ${gateUrl} answered GET /v1/events/${eventId} with ${res.status}${body.code ? ` ${body.code}` : ''}${body.message ? `: ${body.message}` : ''}`,
      ExitCode.CannotRun,
    );
  return body as GateEvent;
}
