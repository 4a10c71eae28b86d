import { describe, expect, it } from '@jest/globals';
// The page's own modules (plain browser ES modules without DOM use at import time).
import { LANGUAGES, catalogs, createI18n, pickLanguage } from '../../public/i18n.js';
import {
  BACKOFF_MAX_MS,
  Poller,
  backoffDelay,
  countdownTarget,
  parseRetryAfter,
  politeDelay,
} from '../../public/poller.js';
import {
  FIRST_FRAME_TIMEOUT_MS,
  HEALTHY_AFTER_MS,
  MAX_ERRORS_IN_ROW,
  Push,
  RETRY_BASE_MS,
} from '../../public/push.js';
import { createApi } from '../../public/api.js';

/**
 * The waiting-room page's rules that need no browser: when to poll again, when the status
 * stream answers instead, and the words and numbers it shows. The page itself is driven
 * in Chromium by page.chromium.test.ts.
 */

/** Timers on a hand-moved clock. */
function fakeTime() {
  let now = 0;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (id: number) => void timers.delete(id),
    pending: () => timers.size,
    /** Moves the clock, running what falls due (and what they plan, in order). */
    async advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.entries()]
          .filter(([, t]) => t.at <= end)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].fn();
        for (let i = 0; i < 5; i++) await Promise.resolve();
      }
      now = end;
    },
  };
}

function pollerWith(random = () => 0.5) {
  const time = fakeTime();
  const runs: number[] = [];
  let onRun: (p: Poller) => void = () => {};
  const poller: Poller = new Poller(
    async () => {
      runs.push(time.now());
      onRun(poller);
    },
    { ...time, random },
  );
  return { time, runs, poller, setOnRun: (f: (p: Poller) => void) => (onRun = f) };
}

describe('polling politely', () => {
  it('asks again after the interval the server suggests, with at most 10 % added', async () => {
    const { time, runs, poller, setOnRun } = pollerWith(() => 1);
    setOnRun((p) => p.after(2000));
    poller.runNow();
    await time.advance(0);
    await time.advance(2199);
    expect(runs).toEqual([0]);
    await time.advance(1);
    expect(runs).toEqual([0, 2200]);
    expect(politeDelay(1000, () => 0)).toBe(1000);
    expect(politeDelay(null, () => 0)).toBe(5000);
  });

  it('waits at least Retry-After on 503/429, reading seconds or an HTTP date', async () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const { time, runs, poller, setOnRun } = pollerWith(() => 0);
    setOnRun((p) => (runs.length === 1 ? p.retryAfter(3000) : p.stop()));
    poller.runNow();
    await time.advance(2999);
    expect(runs).toEqual([0]);
    await time.advance(1);
    expect(runs).toEqual([0, 3000]);
  });

  it('backs off exponentially with jitter on network errors, capped, and starts over after an answer', async () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect([0, 1, 2, 3].map((n) => backoffDelay(n, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay(30, () => 1)).toBe(BACKOFF_MAX_MS);
    const { time, runs, poller, setOnRun } = pollerWith(() => 1);
    setOnRun((p) =>
      runs.length <= 3 ? p.failed() : runs.length === 4 ? p.after(1000) : p.failed(),
    );
    poller.runNow();
    await time.advance(20_000);
    const gaps = runs.slice(1).map((t, i) => t - runs[i]!);
    // 1 s, 2 s, 4 s after failures; the server's 1.1 s; then 1 s again (the count restarted).
    expect(gaps.slice(0, 5)).toEqual([1000, 2000, 4000, 1100, 1000]);
  });

  it('stops after a final answer', async () => {
    const { time, runs, poller, setOnRun } = pollerWith();
    setOnRun((p) => p.stop());
    poller.runNow();
    await time.advance(60_000);
    expect(runs).toEqual([0]);
    expect(time.pending()).toBe(0);
  });

  it('asks nothing while the tab is hidden and catches up at once when it is shown', async () => {
    const { time, runs, poller, setOnRun } = pollerWith(() => 0);
    setOnRun((p) => p.after(1000));
    poller.runNow();
    await time.advance(0);
    poller.setHidden(true);
    await time.advance(30_000);
    expect(runs).toEqual([0]);
    expect(time.pending()).toBe(0);
    poller.setHidden(false);
    await time.advance(0);
    expect(runs).toEqual([0, 30_000]);
    // Shown again before it was due: it waits out the rest of the interval.
    poller.setHidden(true);
    await time.advance(400);
    poller.setHidden(false);
    await time.advance(599);
    expect(runs).toEqual([0, 30_000]);
    await time.advance(1);
    expect(runs).toEqual([0, 30_000, 31_000]);
  });

  it('retries at once when the browser is back online, not during a normal wait', async () => {
    const { time, runs, poller, setOnRun } = pollerWith(() => 1);
    setOnRun((p) => (runs.length < 4 ? p.failed() : p.after(5000)));
    poller.runNow();
    await time.advance(3000); // runs at 0, 1000, 3000; the next waits 4 s
    expect(runs).toEqual([0, 1000, 3000]);
    poller.online();
    await time.advance(0);
    expect(runs).toEqual([0, 1000, 3000, 3000]);
    poller.online(); // a normal wait: nothing changes
    await time.advance(0);
    expect(runs.length).toBe(4);
  });

  it('runs a click made during a poll right after it', async () => {
    const time = fakeTime();
    let release: () => void = () => {};
    const runs: number[] = [];
    const poller: Poller = new Poller(async () => {
      runs.push(time.now());
      if (runs.length === 1) await new Promise<void>((r) => (release = r));
      poller.stop();
    }, time);
    poller.runNow();
    await time.advance(0);
    poller.runNow(); // while the first run is still out
    await time.advance(0);
    expect(runs).toEqual([0]);
    release();
    await new Promise((r) => setImmediate(r)); // the first run finishes
    await time.advance(0);
    expect(runs).toEqual([0, 0]);
  });

  it("counts down on the browser's clock unless it disagrees with the server's", () => {
    const at = '2026-11-27T00:00:00.000Z';
    const t = Date.parse(at);
    expect(countdownTarget({ nextChangeAt: at, secondsToNextChange: 60 }, t - 60_300)).toBe(t);
    // The browser's clock is five minutes slow: the seconds win.
    const slow = t - 60_000 - 300_000;
    expect(countdownTarget({ nextChangeAt: at, secondsToNextChange: 60 }, slow)).toBe(
      slow + 60_000,
    );
    expect(countdownTarget({ nextChangeAt: null, secondsToNextChange: null })).toBeUndefined();
  });
});

/** An EventSource the test drives: what the browser's would see from the gate. */
class FakeSource {
  static made: FakeSource[] = [];
  readyState = 0; // CONNECTING
  closed = false;
  private listeners = new Map<string, ((event: { data?: string }) => void)[]>();
  constructor(readonly url: string) {
    FakeSource.made.push(this);
  }
  addEventListener(type: string, listener: (event: { data?: string }) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  emit(type: string, data?: string) {
    for (const listener of this.listeners.get(type) ?? []) listener({ data });
  }
  /** 200 text/event-stream: connected (first connect or one of EventSource's reconnects). */
  open() {
    this.readyState = 1;
    this.emit('open');
  }
  status(body: object) {
    this.emit('status', JSON.stringify(body));
  }
  /** The connection broke: EventSource reconnects by itself after `retry` ms. */
  drop() {
    this.readyState = 0;
    this.emit('error');
  }
  /** A non-200 answer: EventSource gives up for good. */
  refuse() {
    this.readyState = 2;
    this.emit('error');
  }
}

/**
 * The page's wiring (app.js): status bodies from polls and frames go to one handler,
 * which plans the next poll and follows the ticket; the Poller stands by while the
 * stream answers.
 */
function pushWith({
  EventSource = FakeSource as unknown,
  random = (): number => 0,
}: { EventSource?: unknown; random?: () => number } = {}) {
  FakeSource.made = [];
  const time = fakeTime();
  const polls: number[] = [];
  const heard: string[] = [];
  const states: string[] = [];
  /** What the gate answers the next polls (WAITING by default). */
  let answer = { status: 'WAITING', pollAfterMs: 1000, ticket: 'T1' };
  const env = { ...time, random, EventSource: EventSource as typeof FakeSource | null };
  const handle = (body: { status: string; pollAfterMs?: number; ticket?: string }) => {
    heard.push(body.status);
    if (body.status === 'WAITING' || body.status === 'PROCESSING') {
      push.follow(body.ticket);
      poller.after(body.pollAfterMs ?? 1000);
    } else if (body.status === 'EVENT_NOT_OPEN') {
      push.close();
      poller.after(body.pollAfterMs ?? 1000);
    } else {
      poller.stop();
      push.close();
    }
  };
  const poller: Poller = new Poller(async () => {
    polls.push(time.now());
    handle(answer);
  }, env);
  const push: Push = new Push(
    {
      url: (ticket) => `/v1/events/e1/queue/me/stream?ticket=${ticket}`,
      onStatus: handle,
      onChange: (state) => {
        states.push(state);
        poller.standBy(push.active);
      },
    },
    env,
  );
  return {
    time,
    polls,
    heard,
    states,
    poller,
    push,
    /** The latest EventSource the page made. */
    source: () => FakeSource.made.at(-1)!,
    answer: (next: typeof answer) => (answer = next),
    /** The join's answer, as app.js hands it over. */
    join: () => handle({ status: 'WAITING', pollAfterMs: 1000, ticket: 'T1' }),
  };
}

describe('hearing the gate push, polling as the fallback', () => {
  it('opens the stream with the ticket after the join and polls nothing while it answers', async () => {
    const p = pushWith();
    p.join();
    expect(FakeSource.made.map((s) => s.url)).toEqual(['/v1/events/e1/queue/me/stream?ticket=T1']);
    p.source().open();
    p.source().status({ status: 'WAITING', rank: 3, pollAfterMs: 1000, ticket: 'T1' });
    await p.time.advance(30_000);
    p.source().status({ status: 'PROCESSING', pollAfterMs: 1000, ticket: 'T2' });
    await p.time.advance(30_000);
    expect(p.polls).toEqual([]);
    expect(p.heard).toEqual(['WAITING', 'WAITING', 'PROCESSING']);
    // A renewed ticket does not reopen a stream that works: it is the same place.
    expect(FakeSource.made.length).toBe(1);
    expect(p.states).toEqual(['connecting', 'live']);
    p.source().status({ status: 'ISSUED', coupon: { code: 'C1' } });
    p.source().emit('end', '{}');
    expect(p.source().closed).toBe(true);
    expect(p.push.state).toBe('off');
    await p.time.advance(60_000);
    expect(p.polls).toEqual([]);
    expect(p.time.pending()).toBe(0);
  });

  it('closes on `end` and lets the Poller ask what is due (not open: the shopper joins first)', async () => {
    const p = pushWith();
    p.join();
    p.source().open();
    p.source().status({ status: 'EVENT_NOT_OPEN', pollAfterMs: 5000 });
    p.source().emit('end', '{}');
    expect(p.source().closed).toBe(true);
    p.answer({ status: 'EVENT_NOT_OPEN', pollAfterMs: 5000, ticket: 'T1' });
    await p.time.advance(5000);
    expect(p.polls).toEqual([5000]);
    // An `end` alone (the page still thought it could change) also hands over to polling.
    const q = pushWith();
    q.join();
    q.source().open();
    q.source().status({ status: 'WAITING', pollAfterMs: 2000, ticket: 'T1' });
    await q.time.advance(10_000);
    q.answer({ status: 'SOLD_OUT', pollAfterMs: 0, ticket: 'T1' });
    q.source().emit('end', '{}');
    expect(q.push.state).toBe('off');
    await q.time.advance(0);
    expect(q.polls).toEqual([10_000]); // the poll that fell due while the stream answered
    expect(q.heard.at(-1)).toBe('SOLD_OUT');
  });

  it('falls back to polling when the stream is refused before its first frame, and tries it again later', async () => {
    const p = pushWith();
    p.join();
    const refused = p.source();
    refused.refuse(); // 503 OVERLOADED, 429, 401: EventSource is CLOSED for good
    expect(refused.closed).toBe(true);
    expect(p.push.state).toBe('polling');
    expect(p.push.reason).toBe('refused');
    await p.time.advance(1000);
    expect(p.polls).toEqual([1000]); // the join's pollAfterMs, as without a stream
    // Every poll answer could reopen it, but the stream rests: half a minute to a minute
    // (random 0: half).
    await p.time.advance(RETRY_BASE_MS / 2 - 1001);
    expect(FakeSource.made.length).toBe(1);
    expect(p.polls.length).toBe(RETRY_BASE_MS / 2 / 1000 - 1);
    const before = p.polls.length;
    await p.time.advance(1001);
    expect(FakeSource.made.length).toBe(2);
    p.source().open();
    p.source().status({ status: 'WAITING', pollAfterMs: 1000, ticket: 'T1' });
    await p.time.advance(30_000);
    expect(p.polls.length).toBe(before + 1); // the one poll that reopened it
    expect(p.push.state).toBe('live');
  });

  it('rests the stream longer after each fallback, from a minute doubling, until a frame comes', async () => {
    const p = pushWith({ random: () => 1 }); // all of each rest, no jitter taken off
    const reopenedAfter: number[] = [];
    for (let round = 0; round < 3; round++) {
      const start = p.time.now();
      p.join(); // resting: nothing opens; else a new stream
      while (FakeSource.made.length === round) {
        await p.time.advance(1000);
        p.join();
      }
      reopenedAfter.push(p.time.now() - start);
      p.source().refuse();
    }
    expect(reopenedAfter[0]).toBe(0);
    expect(reopenedAfter[1]).toBe(RETRY_BASE_MS);
    expect(reopenedAfter[2]).toBe(2 * RETRY_BASE_MS);
    // A frame starts the count over: the next fallback rests a minute again.
    await p.time.advance(4 * RETRY_BASE_MS);
    p.join();
    p.source().open();
    p.source().status({ status: 'WAITING', pollAfterMs: 1000, ticket: 'T1' });
    p.source().refuse();
    expect(p.push.restingUntil - p.time.now()).toBe(RETRY_BASE_MS);
  });

  it('falls back when the first frame never comes (a proxy that buffers the stream)', async () => {
    const p = pushWith();
    p.join();
    p.source().open();
    p.source().emit('status', 'not json'); // nor does garbage count as a frame
    await p.time.advance(FIRST_FRAME_TIMEOUT_MS - 1);
    expect(p.polls).toEqual([]);
    expect(p.push.state).toBe('connecting');
    await p.time.advance(1);
    expect(p.source().closed).toBe(true);
    expect(p.push.reason).toBe('silent');
    await p.time.advance(0);
    expect(p.polls).toEqual([FIRST_FRAME_TIMEOUT_MS]); // overdue: asked at once
  });

  it('falls back at once when a stream that never delivered breaks', async () => {
    const p = pushWith();
    p.join();
    p.source().drop(); // network error: EventSource would retry, but nothing ever came
    expect(p.push.reason).toBe('failed');
    expect(p.source().closed).toBe(true);
  });

  it("rides out EventSource's own reconnects, and polls after three failures in a row without a frame", async () => {
    const p = pushWith();
    p.join();
    const source = p.source();
    source.open();
    source.status({ status: 'WAITING', pollAfterMs: 1000, ticket: 'T1' });
    // A rollout: dropped, reconnected to another replica (no frame: nothing changed).
    source.drop();
    await p.time.advance(3000);
    source.open();
    await p.time.advance(HEALTHY_AFTER_MS); // it held: that break is forgotten
    expect(p.push.state).toBe('live');
    // Down for good: every reconnect fails.
    for (let i = 1; i < MAX_ERRORS_IN_ROW; i++) source.drop();
    expect(p.push.state).toBe('live');
    expect(p.polls).toEqual([]);
    source.drop();
    expect(p.push.state).toBe('polling');
    expect(p.push.reason).toBe('broken');
    expect(source.closed).toBe(true);
    await p.time.advance(0);
    expect(p.polls).toEqual([3000 + HEALTHY_AFTER_MS]); // overdue since 1000: asked at once
  });

  it('counts a reconnect that held past a heartbeat, or a frame, as healthy again', async () => {
    const p = pushWith();
    p.join();
    const source = p.source();
    source.open();
    source.status({ status: 'WAITING', pollAfterMs: 1000, ticket: 'T1' });
    // Rollouts hours apart, nothing changing in between: never "three in a row".
    for (let i = 0; i < 5; i++) {
      source.drop();
      source.open();
      await p.time.advance(HEALTHY_AFTER_MS);
    }
    expect(p.push.state).toBe('live');
    // A reconnect that breaks again before it held does not reset the count...
    source.drop();
    source.open();
    await p.time.advance(HEALTHY_AFTER_MS - 1);
    source.drop();
    expect(p.push.errors).toBe(2);
    // ...a frame does.
    source.open();
    source.status({ status: 'WAITING', rank: 2, pollAfterMs: 1000, ticket: 'T1' });
    expect(p.push.errors).toBe(0);
    source.drop();
    source.drop();
    expect(p.push.state).toBe('live');
    expect(p.polls).toEqual([]);
  });

  it('falls back at once when a reconnect is refused (the ticket expired, the gate is full)', async () => {
    const p = pushWith();
    p.join();
    p.source().open();
    p.source().status({ status: 'WAITING', pollAfterMs: 1000, ticket: 'T1' });
    p.source().drop();
    p.source().refuse();
    expect(p.push.state).toBe('polling');
    expect(p.push.reason).toBe('refused');
  });

  it('hands over to polling while the browser is offline, and streams again with the first answer back', async () => {
    const p = pushWith();
    p.join();
    const first = p.source();
    first.open();
    first.status({ status: 'PROCESSING', pollAfterMs: 1000, ticket: 'T1' });
    await p.time.advance(5000);
    // The socket may not notice for minutes; the browser knows at once.
    p.push.offline();
    expect(first.closed).toBe(true);
    expect(p.push.state).toBe('polling');
    expect(p.push.reason).toBe('offline');
    await p.time.advance(0);
    expect(p.polls).toEqual([5000]); // overdue: asked at once (and here answered: online)
    // No rest: the stream was not at fault, so that answer opened it again.
    expect(FakeSource.made.length).toBe(2);
    expect(p.push.state).toBe('connecting');
    p.push.close();
    p.push.offline(); // without a stream: nothing to do
    expect(p.push.state).toBe('off');
  });

  it('polls as before where there is no EventSource', async () => {
    const p = pushWith({ EventSource: null });
    expect(p.push.state).toBe('unsupported');
    p.join();
    await p.time.advance(3500);
    expect(p.polls.length).toBe(3);
    expect(p.states).toEqual([]);
    // A constructor that throws (a URL the browser refuses) is the same as none.
    const q = pushWith({
      EventSource: class {
        constructor() {
          throw new SyntaxError('bad URL');
        }
      },
    });
    q.join();
    expect(q.push.state).toBe('polling');
    await q.time.advance(1000);
    expect(q.polls).toEqual([1000]);
  });

  it('ignores what a stream it closed still says, and a final answer closes it', async () => {
    const p = pushWith();
    p.join();
    const first = p.source();
    first.open();
    first.status({ status: 'REJECTED', reason: 'X' });
    expect(first.closed).toBe(true);
    expect(p.push.state).toBe('off');
    first.status({ status: 'WAITING', pollAfterMs: 1000, ticket: 'T1' });
    first.drop();
    expect(p.heard).toEqual(['WAITING', 'REJECTED']);
    expect(p.push.state).toBe('off');
    expect(FakeSource.made.length).toBe(1);
    expect(p.time.pending()).toBe(0);
    // No ticket (an answer before the join): nothing to stream.
    const q = pushWith();
    expect(q.push.follow(undefined)).toBe(false);
    expect(FakeSource.made.length).toBe(0);
  });

  it("asks the stream's address relative to the page, with the ticket", () => {
    const api = createApi({
      eventId: 'sale 1',
      identityMode: 'query',
      credentials: async () => ({}),
      base: 'https://shop.example/queue/events/sale%201',
    });
    expect(api.streamUrl('eyJ1Ijoi.sig+/=')).toBe(
      'https://shop.example/queue/v1/events/sale%201/queue/me/stream?ticket=eyJ1Ijoi.sig%2B%2F%3D',
    );
  });
});

describe('standing by while the stream answers', () => {
  it('keeps planned polls waiting, runs a click at once, and catches up when the stream stops', async () => {
    const { time, runs, poller, setOnRun } = pollerWith(() => 0);
    setOnRun((p) => p.after(1000));
    poller.standBy(true);
    poller.after(1000);
    await time.advance(5000);
    expect(runs).toEqual([]);
    poller.runNow(); // "Try again"
    await time.advance(0);
    expect(runs).toEqual([5000]);
    await time.advance(5000); // its answer planned the next one, which waits again
    expect(runs).toEqual([5000]);
    poller.standBy(false);
    await time.advance(0);
    expect(runs).toEqual([5000, 10_000]);
    // Hidden and standing by: only being shown and the stream stopping together let it run.
    poller.setHidden(true);
    poller.standBy(true);
    await time.advance(5000);
    poller.standBy(false);
    await time.advance(5000);
    expect(runs).toEqual([5000, 10_000]);
    poller.setHidden(false);
    await time.advance(0);
    expect(runs).toEqual([5000, 10_000, 20_000]);
  });
});

describe('words and numbers', () => {
  it('has the same messages in Korean and English', () => {
    const shape = (c: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(c).map(([k, v]) => [k, typeof v]));
    expect(shape(catalogs.ko)).toEqual(shape(catalogs.en));
    expect(LANGUAGES).toEqual(['en', 'ko']);
  });

  it("picks the saved language, else the browser's first one it speaks, else English", () => {
    expect(pickLanguage(null, ['ko-KR', 'en-US'])).toBe('ko');
    expect(pickLanguage(null, ['fr-FR', 'en-GB', 'ko'])).toBe('en');
    expect(pickLanguage(null, ['fr-FR'])).toBe('en');
    expect(pickLanguage('en', ['ko-KR'])).toBe('en');
    expect(pickLanguage('xx', ['KO'])).toBe('ko');
  });

  it('describes discounts with money in minor units, in each language', () => {
    const en = createI18n('en');
    const ko = createI18n('ko');
    const capped = {
      type: 'percent',
      percent: 12.5,
      currency: 'KRW',
      maxAmount: 5000,
      minOrderAmount: 30000,
    };
    expect(en.discount(capped)).toBe('12.5% off (up to ₩5,000), on orders of ₩30,000 or more');
    expect(ko.discount(capped)).toBe('12.5% 할인 (최대 ₩5,000), ₩30,000 이상 주문 시');
    expect(en.discount({ type: 'fixed', amount: 1250, currency: 'USD' })).toBe('$12.50 off');
    expect(en.discount({ type: 'fixed', amount: 5000, currency: 'KRW' })).toBe('₩5,000 off');
    expect(ko.discount({ type: 'percent', percent: 10 })).toBe('10% 할인');
  });

  it('says waits and countdowns the way people read them', () => {
    const en = createI18n('en');
    const ko = createI18n('ko');
    expect(en.duration(45)).toBe('45 seconds');
    expect(en.duration(1)).toBe('1 second');
    expect(en.duration(150)).toBe('3 minutes');
    expect(en.duration(3900)).toBe('1 hour, 5 minutes');
    expect(ko.duration(150)).toBe('3분');
    expect(en.clock(65_000)).toBe('01:05');
    expect(en.clock(3_723_000)).toBe('1:02:03');
    expect(en.clock(2 * 86_400_000 + 3_723_000)).toBe('2 days 01:02:03');
    expect(ko.clock(86_400_000 + 1000)).toBe('1일 00:00:01');
    expect(en.t('remaining', { remaining: en.number(873), stock: en.number(1000) })).toBe(
      '873 of 1,000 coupons left',
    );
    expect(en.t('ahead')).toBe('People ahead of you');
    expect(en.dateTime('2026-11-27T09:30:00Z')).toBe(
      new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' }).format(
        new Date('2026-11-27T09:30:00Z'),
      ),
    );
  });
});
