import type { CouponEvent, EventConfig } from '@rediclaim/core';
import { sameJson } from '../canonical.js';
import type { GateStats } from '../gate-client.js';
import type { IssuerCondition } from './platform/issuer-scale.js';

/**
 * The hand-off between the CouponEvent reconciler and the platform reconciler, for one
 * leadership term. The CouponEvent side says what each event has served and asks for a
 * render; the platform side renders what is served and reports what the ConfigMaps hold
 * and how scaling the issuer went, which every event's status shows. Rebuilt from the
 * ConfigMaps when a term starts, so the operator keeps nothing of its own between terms:
 * the ConfigMaps are the record of what was last accepted.
 */
export class ServedEvents {
  /**
   * key → the config served for the event: its accepted spec, or the last accepted one
   * while a later spec is refused (stock below issued, ...).
   */
  private readonly configs = new Map<string, EventConfig>();
  /** key → the gate's last counts. */
  private readonly counts = new Map<string, GateStats>();
  /** key → the generation the ConfigMap holds now; undefined until first read. */
  private written: Map<string, number> | undefined;
  private writeError: string | undefined;
  /** key → why the event is left out of its full shard. */
  private full = new Map<string, string>();
  private issuerCondition: IssuerCondition = {
    status: 'Unknown',
    reason: 'NotYetScaled',
    message: 'The issuer Deployment has not been looked at yet.',
  };

  /** `renderWanted` asks the platform reconciler for a render (it decides when). */
  constructor(private readonly renderWanted: () => void) {}

  // What the CouponEvent reconciler states.

  /** Serves `config` for the event, or nothing; a change asks for a render. */
  serve(key: string, config: EventConfig | undefined): void {
    if (sameJson(config, this.configs.get(key))) return;
    if (config) this.configs.set(key, config);
    else this.configs.delete(key);
    this.requestRender();
  }

  /** Serves nothing for the event; asks for a render if something was served. */
  drop(key: string): void {
    if (this.configs.delete(key)) this.requestRender();
  }

  /** The event is gone: nothing served, no counts kept. */
  forget(key: string): void {
    this.counts.delete(key);
    this.drop(key);
  }

  /** Something the render depends on changed besides the configs (an event's phase). */
  requestRender(): void {
    this.renderWanted();
  }

  recordCounts(key: string, stats: GateStats): void {
    this.counts.set(key, stats);
  }

  countsOf(key: string): GateStats | undefined {
    return this.counts.get(key);
  }

  /** The config served for this very object (not for an earlier one of the same name). */
  servedFor(event: CouponEvent, key: string): EventConfig | undefined {
    const config = this.configs.get(key);
    return config !== undefined && config.uid === event.metadata.uid ? config : undefined;
  }

  isServing(event: CouponEvent, key: string): boolean {
    return this.servedFor(event, key) !== undefined;
  }

  // What the platform reconciler reports.

  /** The generation of the event the ConfigMap holds, if it holds the event. */
  writtenGeneration(key: string): number | undefined {
    return this.written?.get(key);
  }

  /** Whether the ConfigMap may still hold the event (it is unread, or holds it). */
  mayHold(key: string): boolean {
    return this.written === undefined || this.written.has(key);
  }

  /** Why the last ConfigMap write failed; undefined once one succeeds. */
  get renderError(): string | undefined {
    return this.writeError;
  }

  /** Why the event's shard has no room for it, when it has none. */
  shardFull(key: string): string | undefined {
    return this.full.get(key);
  }

  get issuer(): IssuerCondition {
    return this.issuerCondition;
  }

  // The platform reconciler's side.

  /** What is served, in the order the events were first served. */
  entries(): [string, EventConfig][] {
    return [...this.configs.entries()];
  }

  get size(): number {
    return this.configs.size;
  }

  /** A term's start: what the ConfigMap serves, and the generations it holds. */
  restore(served: Iterable<[string, EventConfig]>, written: Map<string, number>): void {
    for (const [key, config] of served) this.configs.set(key, config);
    this.written = written;
  }

  /** Served events whose generation the ConfigMap does not hold (yet). */
  unwritten(): string[] {
    return this.entries()
      .filter(([key, config]) => this.written?.get(key) !== config.generation)
      .map(([key]) => key);
  }

  /** A write failed; returns whether it is the first since one succeeded. */
  renderFailed(reason: string): boolean {
    const first = this.writeError === undefined;
    this.writeError = reason;
    return first;
  }

  /**
   * The ConfigMaps hold `written` now; `error` says why some shards could not be
   * written (their events keep what they held). Returns the events whose entry
   * changed, or all of them when the error changed: their Configured condition has news.
   */
  rendered(written: Map<string, number>, error?: string): string[] {
    const errorChanged = this.writeError !== error;
    this.writeError = error;
    const before = this.written ?? new Map<string, number>();
    this.written = written;
    return [...new Set([...before.keys(), ...written.keys()])].filter(
      (key) => errorChanged || before.get(key) !== written.get(key),
    );
  }

  /** The events full shards leave out now, with why; returns those whose answer changed. */
  shardsFull(full: Map<string, string>): string[] {
    const before = this.full;
    this.full = full;
    return [...new Set([...before.keys(), ...full.keys()])].filter(
      (key) => before.get(key) !== full.get(key),
    );
  }

  /** The issuer's condition now; returns whether it changed. */
  scaled(condition: IssuerCondition): boolean {
    if (sameJson(condition, this.issuerCondition)) return false;
    this.issuerCondition = condition;
    return true;
  }
}
