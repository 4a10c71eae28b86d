import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { RenderCadence } from '../../src/reconcilers/platform/render-cadence.js';
import type { WorkQueue } from '../../src/runtime/work-queue.js';

/** Records what the cadence asks of the platform's queue: at once, or after how long. */
function recordingQueue() {
  const asks: (number | 'now')[] = [];
  const queue = {
    add: () => void asks.push('now'),
    addAfter: (_key: string, ms: number) => void asks.push(ms),
  } as unknown as WorkQueue;
  return { queue, asks };
}

const MiB = 1024 * 1024;

describe('when the platform renders', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-11-27T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('renders a lone change at once, even right after a render that wrote nothing', () => {
    const { queue, asks } = recordingQueue();
    const cadence = new RenderCadence(queue, 30_000);
    cadence.begin();
    cadence.wrote(0);
    cadence.request();
    expect(asks).toEqual(['now']);
  });

  it('spaces renders that wrote by 25 ms, and by twice the time a render took', () => {
    const { queue, asks } = recordingQueue();
    const cadence = new RenderCadence(queue, 30_000);
    cadence.begin();
    cadence.wrote(200 * 1024);
    cadence.request();
    cadence.begin();
    cadence.wrote(200 * 1024, 40);
    cadence.request();
    expect(asks).toEqual([25, 80]);
  });

  it('lets a burst of shard writes through at once, then holds renders to the byte budget', () => {
    const { queue, asks } = recordingQueue();
    const cadence = new RenderCadence(queue, 30_000);
    // 8 MiB of burst: two renders of 4 MiB go through at the usual spacing...
    for (let i = 0; i < 2; i++) {
      cadence.begin();
      cadence.wrote(4 * MiB);
    }
    cadence.request();
    expect(asks.at(-1)).toBe(25);
    // ...a third waits for 4 MiB of tokens at 4 MiB/s.
    cadence.begin();
    cadence.wrote(4 * MiB);
    cadence.request();
    expect(asks.at(-1)).toBe(1_000);
    // And the budget refills with time: a second later a lone write is not held back.
    jest.advanceTimersByTime(2_000);
    cadence.begin();
    cadence.wrote(200 * 1024);
    cadence.request();
    expect(asks.at(-1)).toBe(25);
  });
});
