import { EventSource } from 'undici';
import { waitFor } from '@rediclaim/hack/testing';

export interface PushFrame {
  id: string;
  body: Record<string, unknown> & { status: string; rank: number | null };
  at: number;
}

/**
 * One shopper's push stream read the way a browser reads it: undici's EventSource (the
 * WHATWG one: reconnects by itself, sends Last-Event-ID). Keeps every status frame and
 * whether `end` came; closes itself on `end`, as the page does.
 */
export class PushClient {
  readonly frames: PushFrame[] = [];
  ended = false;
  errors = 0;
  private readonly source: EventSource;

  constructor(readonly url: string) {
    this.source = new EventSource(url);
    this.source.addEventListener('status', (event) => {
      const e = event as MessageEvent<string>;
      this.frames.push({ id: e.lastEventId, body: JSON.parse(e.data), at: Date.now() });
    });
    this.source.addEventListener('end', () => {
      this.ended = true;
      this.source.close();
    });
    this.source.addEventListener('error', () => this.errors++);
  }

  get last(): PushFrame | undefined {
    return this.frames.at(-1);
  }

  get statuses(): string[] {
    return this.frames.map((f) => f.body.status);
  }

  /** Waits for a frame with this status; returns it. */
  async status(status: string, timeoutMs = 15_000): Promise<PushFrame> {
    await waitFor(
      `a ${status} frame on ${this.url} (had ${this.statuses.join(', ') || 'none'})`,
      () => this.frames.some((f) => f.body.status === status),
      timeoutMs,
      20,
    );
    return this.frames.find((f) => f.body.status === status)!;
  }

  async end(timeoutMs = 15_000): Promise<void> {
    await waitFor(`the end of ${this.url}`, () => this.ended, timeoutMs, 20);
  }

  close(): void {
    this.source.close();
  }
}

/** The raw text of a stream for `ms` (or until the server closes it), with the answer's head. */
export async function readStream(
  url: string,
  ms: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; closedByServer: boolean }> {
  const abort = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  let text = '';
  let closedByServer = false;
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    const decoder = new TextDecoder();
    for await (const chunk of response.body!) text += decoder.decode(chunk as Uint8Array);
    closedByServer = true;
  } catch {
    // aborted: the time was up
  } finally {
    clearTimeout(timer);
  }
  return { status: response.status, headers: response.headers, text, closedByServer };
}
