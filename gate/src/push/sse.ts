/**
 * Server-sent events on the wire (WHATWG HTML, "Server-sent events"). Data is one line of
 * JSON (JSON.stringify never writes a raw line break) and ids are ours, so no field needs
 * splitting over several `data:` lines.
 */

/** A frame: `id` (what the browser sends back as Last-Event-ID), `event` (its name), `data`. */
export function sseFrame(event: string, data: string, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`;
}

/** Tells the browser how long to wait before reconnecting after the stream drops. */
export function sseRetry(ms: number): string {
  return `retry: ${Math.round(ms)}\n\n`;
}

/**
 * A comment line: ignored by EventSource, but it keeps proxies and load balancers from
 * closing the connection as idle, and lets the server notice a dead peer.
 */
export const SSE_HEARTBEAT = ': keep-alive\n\n';
