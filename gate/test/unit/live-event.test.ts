import { describe, expect, it } from '@jest/globals';
import { EventsStore, LiveEvent } from '@rediclaim/gate';
import { eventConfigSchema } from '@rediclaim/core';
import { eventConfig } from '../support/events.js';

describe('live events', () => {
  it('follows the schedule through its phases, recomputing only when it changes', () => {
    const event = new LiveEvent(
      eventConfigSchema.parse(
        eventConfig('p', { preQueueInMs: 1_000, opensInMs: 2_000, closesInMs: 3_000 }),
      ),
    );
    const pre = Date.parse(event.config.schedule.preQueueOpensAt!);
    expect(event.phase(pre - 1)).toBe('Scheduled');
    expect(event.phase(pre)).toBe('PreQueue');
    expect(event.phase(pre + 500)).toBe('PreQueue');
    expect(event.phase(pre + 1_000)).toBe('Open');
    expect(event.phase(pre + 2_000)).toBe('Closed');
    expect(event.phase(pre - 1)).toBe('Scheduled');
  });

  it('reports which events a new config adds, changes and removes', () => {
    const store = new EventsStore();
    const parse = (c: ReturnType<typeof eventConfig>) => eventConfigSchema.parse(c);
    const a = parse(eventConfig('a'));
    store.apply(
      {
        apiVersion: 'rediclaim.io/v1alpha1',
        kind: 'EventsConfig',
        events: [a, parse(eventConfig('b'))],
      },
      't',
    );
    const change = store.apply(
      {
        apiVersion: 'rediclaim.io/v1alpha1',
        kind: 'EventsConfig',
        events: [a, parse(eventConfig('c', { stock: 5 }))],
      },
      't',
    );
    expect(change).toMatchObject({ added: ['c'], changed: [], removed: ['b'] });
  });
});
