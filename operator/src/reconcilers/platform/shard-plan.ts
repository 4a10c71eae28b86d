import {
  assembleEventsConfig,
  parseEventsConfig,
  renderEventEntry,
  type EventConfig,
} from '@rediclaim/core';

export type Served = readonly [key: string, config: EventConfig];

/** One shard's document as it should be. */
export interface ShardPlan {
  shard: number;
  text: string;
  bytes: number;
  /** What the document holds: event key → generation. */
  held: Map<string, number>;
  /** Events of this shard left out because the document would pass the size limit. */
  full: string[];
  /** False when the members are exactly those of the last plan, which is reused. */
  fresh: boolean;
}

interface Entry {
  id: string;
  entry: string;
  bytes: number;
}

/**
 * Each config object rendered (and checked) once: the reconciler keeps one object per
 * served generation, so a render after an edit only dumps the edited event.
 */
const rendered = new WeakMap<EventConfig, Entry>();

function entryOf(config: EventConfig): Entry {
  let known = rendered.get(config);
  if (!known) {
    const entry = renderEventEntry(config);
    // The gate must be able to read what we write: check the entry as the gate will.
    parseEventsConfig(assembleEventsConfig([{ id: config.id, entry }]), `event ${config.id}`);
    known = { id: config.id, entry, bytes: Buffer.byteLength(entry) };
    rendered.set(config, known);
  }
  return known;
}

const headerBytes = Buffer.byteLength(assembleEventsConfig([{ id: '', entry: '' }]));

function sameMembers(a: readonly Served[], b: readonly Served[]): boolean {
  return (
    a.length === b.length && a.every(([key, config], i) => b[i]![0] === key && b[i]![1] === config)
  );
}

export interface PlannerOptions {
  shards: number;
  maxBytes: number;
  shardOf(eventId: string): number;
}

/**
 * Which events go into which shard's document, and its text. A shard whose members
 * are the same objects as last time keeps its plan, so one edit renders one shard.
 * A shard that would pass `maxBytes` keeps the events it already holds first (a full
 * shard never evicts a running sale), then takes the others in the order they were
 * first served, as long as they fit; the rest are reported full.
 */
export class ShardPlanner {
  private readonly last = new Map<number, { members: Served[]; plan: ShardPlan }>();
  /** Each config object's shard, hashed once. */
  private readonly shardOf = new WeakMap<EventConfig, number>();

  constructor(private readonly options: PlannerOptions) {}

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  plan(served: readonly Served[], holds: (shard: number, key: string) => boolean): ShardPlan[] {
    const members = Array.from({ length: this.options.shards }, (): Served[] => []);
    for (const entry of served) {
      let shard = this.shardOf.get(entry[1]);
      if (shard === undefined)
        this.shardOf.set(entry[1], (shard = this.options.shardOf(entry[1].id)));
      members[shard]!.push(entry);
    }
    return members.map((list, shard) => {
      const last = this.last.get(shard);
      // A full shard is planned again: what it holds may have changed since.
      if (last && last.plan.full.length === 0 && sameMembers(last.members, list))
        return { ...last.plan, fresh: false };
      const plan = this.planShard(shard, list, holds);
      this.last.set(shard, { members: list, plan });
      return plan;
    });
  }

  private planShard(
    shard: number,
    list: readonly Served[],
    holds: (shard: number, key: string) => boolean,
  ): ShardPlan {
    const ordered = [
      ...list.filter(([key]) => holds(shard, key)),
      ...list.filter(([key]) => !holds(shard, key)),
    ];
    const included: { id: string; entry: string }[] = [];
    const held = new Map<string, number>();
    const full: string[] = [];
    let bytes = headerBytes;
    for (const [key, config] of ordered) {
      const entry = entryOf(config);
      if (bytes + entry.bytes > this.options.maxBytes) {
        full.push(key);
        continue;
      }
      bytes += entry.bytes;
      included.push(entry);
      held.set(key, config.generation);
    }
    const text = assembleEventsConfig(included);
    return { shard, text, bytes: Buffer.byteLength(text), held, full, fresh: true };
  }
}
