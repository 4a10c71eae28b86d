import { CouponEventApi } from '../couponevent/resource.js';
import {
  EVENTS_CONFIG_KIND,
  MAX_EVENTS_PER_CONFIG,
  assembleEventsConfig,
  parseEventsConfig,
  type EventConfig,
  type EventsConfig,
} from './events-config.js';

/** What renderEventsConfig writes before the first entry. */
const HEADER = assembleEventsConfig([{ id: '', entry: '' }]);
const ENTRY_START = /^(?= {2}- )/m;

/**
 * Reads successive versions of one events config, parsing only the entries that changed.
 * A shard of ~600 events takes ~100 ms to parse whole (YAML, then zod), and every gate
 * parses every change of every shard; an edit changes one entry. A text in exactly the
 * layout renderEventsConfig writes is split into its entries, and each entry not seen
 * in the previous version is parsed on its own, as a document of one event, by the same
 * parser (so the same rules judge it); the others keep the config object parsed last
 * time, which also lets the gate skip comparing them. Any other text (hand-written,
 * anchors, comments before an entry), or an entry that does not parse alone, is parsed
 * whole: the answer, and the error message, are those of parseEventsConfig.
 */
export class EventsConfigReader {
  private entries = new Map<string, EventConfig>();

  read(text: string, source: string): EventsConfig {
    const events = this.readEntries(text, source);
    if (events) return events;
    const whole = parseEventsConfig(text, source);
    this.entries = new Map();
    return whole;
  }

  private readEntries(text: string, source: string): EventsConfig | undefined {
    if (!text.startsWith(HEADER)) return undefined;
    const chunks = text.slice(HEADER.length).split(ENTRY_START);
    const next = new Map<string, EventConfig>();
    const events: EventConfig[] = [];
    for (const chunk of chunks) {
      let event = next.get(chunk) ?? this.entries.get(chunk);
      if (!event) {
        if (!chunk.startsWith('  - ')) return undefined;
        try {
          const one = parseEventsConfig(HEADER + chunk, source).events;
          if (one.length !== 1) return undefined;
          event = one[0]!;
        } catch {
          return undefined;
        }
      }
      next.set(chunk, event);
      events.push(event);
    }
    // The rules that span entries (how many, one event per id) are the whole document's.
    if (
      events.length > MAX_EVENTS_PER_CONFIG ||
      new Set(events.map((e) => e.id)).size !== events.length
    )
      return undefined;
    this.entries = next;
    return { apiVersion: CouponEventApi.apiVersion, kind: EVENTS_CONFIG_KIND, events };
  }
}
