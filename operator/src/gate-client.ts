import {
  describeProblems,
  eventStatsReadSchema,
  gateAdminEventPath,
  gateAdminStatsPath,
  problemsOf,
  type EventStatsRead,
} from '@rediclaim/core';

/** What the operator reads of an event's stats (core's contract of the gate admin API). */
export type GateStats = EventStatsRead;

export class GateError extends Error {
  override readonly name = 'GateError';
}

/** A failed call to the gate, as the sentence a condition or an Event shows. */
export function describeGateError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The gate's internal API, the only way the operator learns counts and removes queue data. */
export class GateClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
    /** The gate's ADMIN_TOKEN, when its internal API asks for one. */
    private readonly token?: string,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  private async call(method: string, url: string): Promise<Response> {
    try {
      return await fetch(url, {
        method,
        signal: AbortSignal.timeout(this.timeoutMs),
        ...(this.token ? { headers: { authorization: `Bearer ${this.token}` } } : {}),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new GateError(
        `the gate at ${this.base} did not answer ${method} (${cause ?? (error as Error).message})`,
        { cause: error },
      );
    }
  }

  async stats(tenant: string, eventId: string): Promise<GateStats> {
    const res = await this.call('GET', this.base + gateAdminStatsPath(tenant, eventId));
    if (!res.ok) throw new GateError(`the gate answered ${res.status} to a stats request`);
    const parsed = eventStatsReadSchema.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success)
      throw new GateError(
        `the gate's stats do not follow the gate admin API (core/CONTRACTS.md): ${describeProblems(problemsOf(parsed.error))}`,
      );
    return parsed.data;
  }

  /**
   * Removes the event's queue data (idempotent on the gate's side). The uid ties the
   * gate's tombstone to this CouponEvent, so one re-created under the same id is not closed.
   */
  async deleteEvent(tenant: string, eventId: string, uid?: string): Promise<void> {
    const query = uid ? `?uid=${encodeURIComponent(uid)}` : '';
    const res = await this.call('DELETE', this.base + gateAdminEventPath(tenant, eventId) + query);
    if (res.status !== 204 && res.status !== 200 && res.status !== 404)
      throw new GateError(`the gate answered ${res.status} to deleting ${tenant}/${eventId}`);
  }
}
