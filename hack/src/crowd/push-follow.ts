import { EventSource, type Dispatcher } from 'undici';

/** How a shopper's push stream went: told the outcome, or given up for polling. */
export type StreamEnd =
  | { kind: 'ended'; last: unknown }
  /** No outcome by the shopper's deadline. */
  | { kind: 'timeout'; last: unknown | undefined }
  /** Refused (a 503 past the gate's stream limit, or no route) or broken: poll instead. */
  | { kind: 'fallback'; last: unknown | undefined };

let quieted = false;
/**
 * undici's EventSource warns once per process that it is experimental (UNDICI-ES): a
 * load generator's output (and its JSON on stdout's neighbour, stderr) is not the place.
 * Every other warning is still printed.
 */
function quietEventSourceWarning(): void {
  if (quieted) return;
  quieted = true;
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    if (warning.code === 'UNDICI-ES') return;
    for (const print of printers) print(warning);
  });
}

/** Errors in a row, without a frame between them, after which the stream is given up. */
const MAX_ERRORS_IN_A_ROW = 3;

/**
 * Follows one shopper's push stream (GET .../queue/me/stream) as the waiting-room page
 * does: EventSource (it reconnects by itself and sends Last-Event-ID), every status to
 * `onStatus`, closed at `end`; given up for polling when refused before its first frame
 * or broken several times in a row. `onRequest` counts each connection attempt.
 */
export function followStream(
  url: string,
  dispatcher: Dispatcher,
  onStatus: (body: unknown) => void,
  onRequest: () => void,
  deadline = Infinity,
): Promise<StreamEnd> {
  quietEventSourceWarning();
  return new Promise((resolve) => {
    onRequest();
    const source = new EventSource(url, { dispatcher } as ConstructorParameters<
      typeof EventSource
    >[1]);
    let last: unknown;
    let errorsInARow = 0;
    const timer = Number.isFinite(deadline)
      ? setTimeout(() => finish({ kind: 'timeout', last }), Math.max(0, deadline - Date.now()))
      : undefined;
    const finish = (end: StreamEnd) => {
      clearTimeout(timer);
      source.close();
      resolve(end);
    };
    source.addEventListener('status', (event) => {
      errorsInARow = 0;
      last = JSON.parse((event as unknown as { data: string }).data) as unknown;
      onStatus(last);
    });
    source.addEventListener('end', () => finish({ kind: 'ended', last }));
    source.addEventListener('error', () => {
      // CLOSED: refused (any answer but a 200 stream); CONNECTING: reconnecting by itself.
      if (source.readyState === EventSource.CLOSED || ++errorsInARow >= MAX_ERRORS_IN_A_ROW)
        finish({ kind: 'fallback', last });
      else onRequest();
    });
  });
}
