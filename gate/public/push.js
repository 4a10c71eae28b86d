// The gate pushes the shopper's status over server-sent events
// (GET .../queue/me/stream?ticket=): admission and the outcome show at once and nobody
// polls. Polling stays the fallback, so the stream only has to be good, not perfect:
// no EventSource, a refused stream (any non-200 closes an EventSource for good), one
// that never sends its first frame (a buffering proxy), or one that keeps breaking hands
// the page back to the Poller, and the stream is tried again later. Pure: EventSource,
// timers and randomness are injected, so the rules are unit-tested without a browser.

import { backoffDelay } from './poller.js';

/** The gate sends the status at once on connect: silence this long means nothing comes. */
export const FIRST_FRAME_TIMEOUT_MS = 10_000;
/** Reconnects (EventSource's own) that fail in a row, without a frame between, before polling. */
export const MAX_ERRORS_IN_ROW = 3;
/** A reconnected stream that held this long (over a heartbeat) counts as healthy again. */
export const HEALTHY_AFTER_MS = 20_000;
/** After a fallback the stream is tried again in 1 min, 2 min, ... up to 10 min, jittered. */
export const RETRY_BASE_MS = 60_000;
export const RETRY_MAX_MS = 600_000;

const CLOSED = 2; // EventSource.CLOSED, also where the constructor is only a stand-in

/**
 * @typedef {'off' | 'connecting' | 'live' | 'polling' | 'unsupported'} PushState
 * @typedef {{
 *   readyState: number,
 *   addEventListener(type: string, listener: (event: { data?: string }) => void): void,
 *   close(): void,
 * }} EventSourceLike
 * @typedef {{
 *   EventSource?: (new (url: string) => EventSourceLike) | null | undefined,
 *   setTimeout?: (fn: () => void, ms: number) => unknown,
 *   clearTimeout?: (id: any) => void,
 *   now?: () => number,
 *   random?: () => number,
 * }} PushEnv
 */

/**
 * One status stream at a time. `follow(ticket)` while the shopper's state can still
 * change, `close()` when it cannot. Every `status` frame goes to `onStatus(body)`;
 * `onChange(state)` says who answers now: 'connecting' and 'live' (the stream: the
 * Poller stands by, see `active`), 'polling' (the stream failed: the Poller asks) or
 * 'off' (closed).
 */
export class Push {
  /**
   * @param {{
   *   url: (ticket: string) => string,
   *   onStatus: (body: any) => void,
   *   onChange?: (state: PushState) => void,
   * }} handlers
   * @param {PushEnv} env
   */
  constructor({ url, onStatus, onChange = () => {} }, env = {}) {
    this.url = url;
    this.onStatus = onStatus;
    this.onChange = onChange;
    this.EventSource = 'EventSource' in env ? env.EventSource : globalThis.EventSource;
    this.setTimer = env.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = env.clearTimeout ?? ((id) => clearTimeout(id));
    this.now = env.now ?? (() => Date.now());
    this.random = env.random ?? Math.random;
    this.source = undefined;
    /** The current source has delivered a frame (its reconnects may skip the repeat). */
    this.framed = false;
    this.errors = 0;
    /** Fallbacks since the last frame: each one rests the stream longer. */
    this.fallbacks = 0;
    this.restingUntil = 0;
    /** Why the last fallback happened (for people reading the page's state). */
    this.reason = undefined;
    this.watchdog = undefined;
    this.healthy = undefined;
    /** @type {PushState} */
    this.state = this.EventSource ? 'off' : 'unsupported';
  }

  /** The stream answers (opening or open): the Poller stands by. */
  get active() {
    return this.state === 'connecting' || this.state === 'live';
  }

  /**
   * The page holds a ticket and the state can change: stream it, unless a stream is open
   * (the same place, whatever ticket renewal it carries) or resting after a failure.
   * True when the stream answers (the Poller should stand by).
   */
  follow(ticket) {
    if (!this.EventSource || !ticket) return false;
    if (this.source) return true;
    if (this.now() < this.restingUntil) return false;
    return this.open(ticket);
  }

  /** Nothing more to hear (a final answer, or the page gives up): no stream, no fallback. */
  close() {
    if (!this.source) return;
    this.shut();
    this.set('off');
  }

  /**
   * The browser is offline: whatever the stream's socket still believes, nothing comes
   * through it, and a page waiting on it would look current when it is not. The Poller
   * takes over (its failures show the shopper the trouble and back off); no rest, since
   * the stream did nothing wrong: the first answer back online opens it again.
   */
  offline() {
    if (!this.source) return;
    this.shut();
    this.reason = 'offline';
    this.set('polling');
  }

  open(ticket) {
    let source;
    try {
      source = new this.EventSource(this.url(ticket));
    } catch {
      // A URL or a constructor the browser refuses: the Poller it is.
      this.fallBack('unavailable');
      return false;
    }
    this.source = source;
    this.framed = false;
    this.errors = 0;
    const mine = (fn) => (event) => {
      if (source === this.source) fn(event);
    };
    source.addEventListener(
      'status',
      mine((e) => this.frame(e)),
    );
    // The state is final for the stream: closed here, or EventSource would reconnect.
    source.addEventListener(
      'end',
      mine(() => this.close()),
    );
    source.addEventListener(
      'open',
      mine(() => this.opened()),
    );
    source.addEventListener(
      'error',
      mine(() => this.failed()),
    );
    this.watchdog = this.setTimer(() => this.fallBack('silent'), FIRST_FRAME_TIMEOUT_MS);
    this.set('connecting');
    return true;
  }

  frame(event) {
    let body;
    try {
      body = JSON.parse(event.data);
    } catch {
      return; // unusable: not a frame (the watchdog and the error count still run)
    }
    if (typeof body !== 'object' || body === null || typeof body.status !== 'string') return;
    this.framed = true;
    this.errors = 0;
    this.fallbacks = 0;
    this.cancel('watchdog');
    if (this.state !== 'live') this.set('live');
    // Last: the handler may close the stream (a final answer).
    this.onStatus(body);
  }

  /** A reconnect went through; it skips the frame when nothing changed, so time tells. */
  opened() {
    if (!this.framed) return;
    this.cancel('healthy');
    this.healthy = this.setTimer(() => {
      this.healthy = undefined;
      this.errors = 0;
    }, HEALTHY_AFTER_MS);
  }

  failed() {
    // CLOSED: refused (non-200, not text/event-stream); EventSource will not try again.
    if (this.source.readyState === CLOSED) return this.fallBack('refused');
    // It never worked: polling is known to, so no waiting on reconnects.
    if (!this.framed) return this.fallBack('failed');
    this.cancel('healthy');
    this.errors += 1;
    if (this.errors >= MAX_ERRORS_IN_ROW) this.fallBack('broken');
  }

  fallBack(reason) {
    this.shut();
    this.reason = reason;
    this.restingUntil =
      this.now() +
      backoffDelay(this.fallbacks, this.random, { base: RETRY_BASE_MS, max: RETRY_MAX_MS });
    this.fallbacks += 1;
    this.set('polling');
  }

  shut() {
    this.cancel('watchdog');
    this.cancel('healthy');
    this.source?.close();
    this.source = undefined;
  }

  cancel(timer) {
    if (this[timer] !== undefined) this.clearTimer(this[timer]);
    this[timer] = undefined;
  }

  set(state) {
    this.state = state;
    this.onChange(state);
  }
}
