import { describe, expect, it } from '@jest/globals';
import { eventsConfigSchema } from '@rediclaim/core';
import { EventsStore } from '@rediclaim/gate';
import { eventConfig } from '../support/events.js';

describe('the events a gate serves', () => {
  it('keeps the live view of an event whose config object did not change, and reports only real changes', () => {
    const store = new EventsStore();
    const first = eventsConfigSchema.parse({ events: [eventConfig('a'), eventConfig('b')] });
    store.apply(first, 'shard 0');
    const a = store.get('a');
    // The next version of the merged shards: the same object for a, a new b, a new c.
    const next = {
      ...first,
      events: [
        first.events[0]!,
        eventsConfigSchema.parse({ events: [eventConfig('b', { stock: 5 })] }).events[0]!,
        eventsConfigSchema.parse({ events: [eventConfig('c')] }).events[0]!,
      ],
    };
    const change = store.apply(next, 'shard 1');
    expect(store.get('a')).toBe(a);
    expect(change).toMatchObject({ added: ['c'], changed: ['b'], removed: [] });
    expect(store.get('b')?.stock).toBe(5);
  });
});
