import { describe, expect, it } from '@jest/globals';
import { eventConfigSchema } from '@rediclaim/core';
import { LiveEvent, waitingView } from '@rediclaim/gate';
import { eventConfig } from '../support/events.js';

describe("a waiting shopper's view", () => {
  const event = new LiveEvent(eventConfigSchema.parse(eventConfig('eta', { rate: 10 })));
  const now = Date.parse(event.config.schedule.opensAt) + 60_000;
  const place = (rate: string, rateAt: string) => ({ rank: 101, ticket: 7, rate, rateAt });

  it('estimates the wait from the fleet rate measured lately, never above the configured one', () => {
    // 100 ahead: at the configured 10/s, 10 s; measured 4/s, 25 s; measured 40/s, still 10 s.
    expect(waitingView(event, 'Open', place('', ''), now).etaSeconds).toBe(10);
    expect(waitingView(event, 'Open', place('4', String(now - 1_000)), now).etaSeconds).toBe(25);
    expect(waitingView(event, 'Open', place('40', String(now - 1_000)), now).etaSeconds).toBe(10);
  });

  it('forgets a stale measurement and says nothing for a stopped fleet', () => {
    expect(waitingView(event, 'Open', place('4', String(now - 60_000)), now).etaSeconds).toBe(10);
    const stopped = waitingView(event, 'Open', place('0', String(now - 1_000)), now);
    expect(stopped).toMatchObject({ etaSeconds: null, pollAfterMs: 5_000 });
  });

  it('polls at a fifth of the wait, between 1 and 10 seconds', () => {
    expect(waitingView(event, 'Open', place('', ''), now).pollAfterMs).toBe(2_000);
    expect(waitingView(event, 'Open', place('0.5', String(now)), now).pollAfterMs).toBe(10_000);
    const near = { rank: 3, ticket: 1, rate: '', rateAt: '' };
    expect(waitingView(event, 'Open', near, now).pollAfterMs).toBe(1_000);
  });
});
