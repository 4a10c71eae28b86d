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

/**
 * The waiting-room page's rules that need no browser: when to poll again, and the words
 * and numbers it shows. The page itself is driven in Chromium by page.test.ts.
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
