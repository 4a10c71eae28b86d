// When to ask the gate again, politely: the interval the server suggests (pollAfterMs),
// Retry-After on 503/429, exponential backoff with jitter on network errors, nothing
// while the tab is hidden, nothing while the status stream delivers the answers (push.js),
// nothing after a final answer. Pure: timers, clock and randomness are injected, so the
// rules are unit-tested without a browser.

export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_MAX_MS = 60_000;
/** Used when the server gives no interval (it always does while an answer can change). */
export const DEFAULT_POLL_MS = 5000;

/**
 * Delay before retry number `attempt` (0-based) after a failure: doubling from 1 s up to
 * a minute (or from `base` up to `max`), "equal jitter" (between half and all of it) so a
 * crowd that lost its connection together does not come back together.
 */
export function backoffDelay(
  attempt,
  random = Math.random,
  { base = BACKOFF_BASE_MS, max = BACKOFF_MAX_MS } = {},
) {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Retry-After in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value, now = Date.now()) {
  if (value === null || value === undefined || value === '') return undefined;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The server's interval with up to 10 % added, so tabs opened together drift apart. */
export function politeDelay(pollAfterMs, random = Math.random) {
  const base = pollAfterMs > 0 ? pollAfterMs : DEFAULT_POLL_MS;
  return Math.round(base * (1 + random() * 0.1));
}

/**
 * Runs `task` when it is due. The task reports how it went through the returned
 * methods: `after(pollAfterMs)` on an answer that can still change, `retryAfter(ms)` on
 * 503/429, `failed()` on a network error, `stop()` on a final answer.
 */
export class Poller {
  constructor(task, env = {}) {
    this.task = task;
    this.setTimer = env.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = env.clearTimeout ?? ((id) => clearTimeout(id));
    this.now = env.now ?? (() => Date.now());
    this.random = env.random ?? Math.random;
    this.failures = 0;
    this.timer = undefined;
    /** When the task is next due (ms), undefined when nothing is planned. */
    this.dueAt = undefined;
    this.hidden = false;
    /** The status stream delivers the answers: planned runs wait, asked-for ones go. */
    this.standingBy = false;
    /** The planned run was asked for (runNow), so standing by does not hold it. */
    this.asked = false;
    this.running = false;
    this.rerun = false;
    this.stopped = false;
  }

  /** Runs the task now (a user's click, the page's start), even while standing by. */
  runNow() {
    this.plan(0, true);
  }

  /** An answer that can change: ask again after the server's interval. Returns the delay. */
  after(pollAfterMs) {
    this.failures = 0;
    return this.plan(politeDelay(pollAfterMs, this.random));
  }

  /** A 503/429 with Retry-After (ms); without one, the same as a failure. Returns the delay. */
  retryAfter(ms) {
    if (ms === undefined) return this.failed();
    this.failures += 1;
    // At least what the server asked, plus up to a second, so a crowd spreads out.
    return this.plan(ms + Math.round(this.random() * Math.min(1000, ms / 2 + 100)));
  }

  /** A network error or an unusable answer: back off, longer each time. Returns the delay. */
  failed() {
    const delay = backoffDelay(this.failures, this.random);
    this.failures += 1;
    return this.plan(delay);
  }

  /** A final answer: nothing more to ask. */
  stop() {
    this.stopped = true;
    this.cancel();
    this.dueAt = undefined;
  }

  /** Page Visibility: nothing runs while hidden; on return, whatever is due runs at once. */
  setHidden(hidden) {
    if (hidden === this.hidden) return;
    this.hidden = hidden;
    if (hidden) this.cancel();
    else if (this.dueAt !== undefined) this.arm();
  }

  /**
   * Another channel (the status stream) delivers the answers: planned runs keep their
   * time but wait, so nothing is asked twice; when it stops, whatever fell due runs at once.
   */
  standBy(on) {
    if (on === this.standingBy) return;
    this.standingBy = on;
    this.arm();
  }

  /** Back online: a retry waiting out a backoff goes now. */
  online() {
    if (this.failures > 0 && this.dueAt !== undefined && !this.stopped) this.plan(0);
  }

  /** Milliseconds until the next run (undefined when none is planned). */
  get remainingMs() {
    return this.dueAt === undefined ? undefined : Math.max(0, this.dueAt - this.now());
  }

  plan(delay, asked = false) {
    this.stopped = false;
    this.asked = asked;
    this.dueAt = this.now() + delay;
    this.arm();
    return delay;
  }

  /** Whether the planned run must wait: the tab is hidden, or the stream answers for it. */
  get held() {
    return this.hidden || (this.standingBy && !this.asked);
  }

  arm() {
    this.cancel();
    if (this.held || this.dueAt === undefined) return;
    this.timer = this.setTimer(() => this.fire(), Math.max(0, this.dueAt - this.now()));
  }

  cancel() {
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = undefined;
  }

  async fire() {
    this.timer = undefined;
    if (this.held || this.stopped) return;
    if (this.running) {
      // Due while the last run is still out (a click during a poll): run again after it.
      this.rerun = true;
      return;
    }
    this.dueAt = undefined;
    this.asked = false;
    this.running = true;
    try {
      await this.task();
    } catch (error) {
      // A task that failed without saying when to come back still comes back.
      if (this.dueAt === undefined && !this.stopped) this.failed();
      console.error(error);
    } finally {
      this.running = false;
      if (this.rerun) {
        this.rerun = false;
        this.plan(0, true);
      }
    }
  }
}

/**
 * When a schedule change happens, on this browser's clock. The event says both the
 * instant (nextChangeAt) and the seconds to it; when they disagree by more than two
 * seconds the browser's clock is off, and the seconds win.
 */
export function countdownTarget(info, now = Date.now()) {
  if (!info?.nextChangeAt || typeof info.secondsToNextChange !== 'number') return undefined;
  const at = Date.parse(info.nextChangeAt);
  const bySeconds = now + info.secondsToNextChange * 1000;
  return Math.abs(at - bySeconds) > 2000 ? bySeconds : at;
}
