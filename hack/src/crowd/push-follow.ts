import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { Dispatcher } from 'undici';

/** How a shopper's push stream went: told the outcome, or given up for polling. */
export type StreamEnd =
  | { kind: 'ended'; last: unknown }
  /** No outcome by the shopper's deadline. */
  | { kind: 'timeout'; last: unknown | undefined }
  /** Refused (a 503 past the gate's stream limit, or no route) or broken: poll instead. */
  | { kind: 'fallback'; last: unknown | undefined };

/** Errors in a row, without a frame between them, after which the stream is given up. */
const MAX_ERRORS_IN_A_ROW = 3;
/** The reconnection delay before the stream says its own (`retry:`), as browsers have it. */
const DEFAULT_RETRY_MS = 3_000;

/** How one connection of the stream ended. */
type Connection = 'ended' | 'refused' | 'dropped';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isEventStream(contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return value?.split(';')[0]?.trim().toLowerCase() === 'text/event-stream';
}

/**
 * Follows one shopper's push stream (GET .../queue/me/stream) as the waiting-room page's
 * EventSource does on the wire: every `status` event to `onStatus`; done at `end`; after a
 * drop, reconnects after the stream's `retry:` delay sending Last-Event-ID; given up for
 * polling when refused (not a 200 event stream) or broken several times in a row.
 * `onRequest` counts each connection attempt.
 *
 * Not undici's EventSource: a crowd is thousands of streams in one process, and its
 * fetch machinery cost about 1 ms of CPU per stream, most of it closing (an abort per
 * stream, each with its errors and their stack traces), enough that the crowd's own
 * event loop held back its joins and its stopwatch (hack/bench push). Here a stream is
 * a plain request whose body the gate ends after `end`.
 */
export async function followStream(
  url: string,
  dispatcher: Dispatcher,
  onStatus: (body: unknown) => void,
  onRequest: () => void,
  deadline = Infinity,
): Promise<StreamEnd> {
  const target = new URL(url);
  // The last event id and retry delay outlive a connection, as EventSource keeps them.
  let lastEventId = '';
  let retryMs: number | undefined;
  const parser = createParser({
    onEvent,
    onId: (id) => (lastEventId = id),
    onRetry: (ms) => (retryMs = ms),
  });
  const abort = new AbortController();
  let last: unknown;
  let errorsInARow = 0;
  let ended: (() => void) | undefined;
  function onEvent(event: EventSourceMessage): void {
    if (event.event === 'status') {
      errorsInARow = 0;
      last = JSON.parse(event.data) as unknown;
      onStatus(last);
    } else if (event.event === 'end') ended?.();
  }
  const connect = () =>
    new Promise<Connection>((resolve) => {
      ended = () => resolve('ended');
      // A line cut by the drop is not the start of the next connection's first one.
      parser.reset();
      dispatcher
        .request({
          origin: target.origin,
          path: `${target.pathname}${target.search}`,
          method: 'GET',
          headers: {
            accept: 'text/event-stream',
            'cache-control': 'no-cache',
            ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
          },
          signal: abort.signal,
          // A stream is silent between its heartbeats: only the deadline ends the wait.
          bodyTimeout: 0,
        })
        .then(
          (res) => {
            if (res.statusCode !== 200 || !isEventStream(res.headers['content-type'])) {
              res.body.dump().catch(() => undefined);
              resolve('refused');
              return;
            }
            // undici's body ignores setEncoding: a character may span two chunks.
            const decoder = new StringDecoder('utf8');
            res.body.on('data', (chunk: Buffer) => parser.feed(decoder.write(chunk)));
            res.body.on('end', () => resolve('dropped'));
            res.body.on('error', () => resolve('dropped'));
          },
          () => resolve('dropped'),
        );
    });

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    if (Number.isFinite(deadline))
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
  });
  try {
    for (;;) {
      onRequest();
      const how = await Promise.race([connect(), timedOut]);
      if (how === 'timeout') {
        abort.abort();
        return { kind: 'timeout', last };
      }
      if (how === 'ended') return { kind: 'ended', last };
      if (how === 'refused' || ++errorsInARow >= MAX_ERRORS_IN_A_ROW)
        return { kind: 'fallback', last };
      const wait = await Promise.race([sleep(retryMs ?? DEFAULT_RETRY_MS), timedOut]);
      if (wait === 'timeout') return { kind: 'timeout', last };
    }
  } finally {
    clearTimeout(timer);
  }
}
