/** Polls the gate until it serves the event (the operator rendered it and the gate applied it). */
export async function waitForEventAtGate(
  gateUrl: string,
  eventId: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(
        `${gateUrl}/gate/events/${encodeURIComponent(eventId)}/rank?userId=probe`,
      );
      const body = (await res.json()) as { status?: string; code?: string };
      last = body.status ?? body.code ?? String(res.status);
      if (last !== 'UNKNOWN_EVENT') return;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `the gate did not learn event ${eventId} within ${timeoutMs / 1000} s (last answer: ${last})`,
  );
}
