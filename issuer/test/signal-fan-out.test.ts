import { describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { SignalFanOut } from '@rediclaim/issuer';

// The batch handler's waits on the issuer's stopping and shutdown-deadline signals.
describe('waits on one shared signal', () => {
  it('put one listener on the signal however many waits are in hand', () => {
    const shared = new AbortController();
    const fanOut = new SignalFanOut(shared.signal);
    const waits = Array.from({ length: 50 }, () => fanOut.take());
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    expect(fanOut.size).toBe(50);
    for (const wait of waits) fanOut.release(wait);
    expect(fanOut.size).toBe(0);
  });

  it('are all aborted, with the reason, when the signal aborts', () => {
    const shared = new AbortController();
    const fanOut = new SignalFanOut(shared.signal);
    const [a, b, released] = [fanOut.take(), fanOut.take(), fanOut.take()];
    fanOut.release(released);
    shared.abort(new Error('deadline'));
    expect([a.signal.aborted, b.signal.aborted]).toEqual([true, true]);
    expect((a.signal.reason as Error).message).toBe('deadline');
    // A wait already over is left alone.
    expect(released.signal.aborted).toBe(false);
  });

  it('start aborted once the signal is, and are not kept', () => {
    const shared = new AbortController();
    const fanOut = new SignalFanOut(shared.signal);
    shared.abort();
    const late = fanOut.take();
    expect(late.signal.aborted).toBe(true);
    expect(fanOut.size).toBe(0);
  });

  it('can each be aborted by their holder alone', () => {
    const fanOut = new SignalFanOut(new AbortController().signal);
    const [a, b] = [fanOut.take(), fanOut.take()];
    a.abort();
    expect([a.signal.aborted, b.signal.aborted]).toEqual([true, false]);
  });
});
