import type { EventConfigInput } from '@rediclaim/core';
import type { Gate } from '@rediclaim/gate';
import { waitFor } from '@rediclaim/hack/testing';
import { eventConfig, type EventOptions } from './events.js';
import { EventsFile } from './harness.js';

/**
 * A suite's events: defined up front, written to the events file its gates read, and
 * changed the way the operator changes them (a new generation).
 */
export class SuiteEvents {
  private readonly configs = new Map<string, EventConfigInput>();
  private file: EventsFile | undefined;

  constructor(private readonly tenant: string) {}

  define(id: string, options: EventOptions): void {
    this.configs.set(id, eventConfig(id, { tenant: this.tenant, ...options }));
    if (this.file) this.save();
  }

  config(id: string): EventConfigInput {
    const config = this.configs.get(id);
    if (!config) throw new Error(`the suite defined no event "${id}"`);
    return config;
  }

  /** The events file (written on first use), for a gate's EVENTS_FILE. */
  path(): string {
    this.file ??= new EventsFile([...this.configs.values()]);
    return this.file.path;
  }

  /** Changes one event's config (a new generation) and waits until `gate` applied it. */
  async update(gate: Gate, id: string, change: (c: EventConfigInput) => void): Promise<void> {
    const config = this.config(id);
    change(config);
    config.generation = (config.generation ?? 1) + 1;
    this.save();
    await waitFor(
      `generation ${config.generation} of ${id}`,
      () => gate.events.get(id)?.config.generation === config.generation,
      5_000,
      20,
    );
  }

  /** Takes one event out of the config (as a deletion does) and waits until `gate` let it go. */
  async drop(gate: Gate, id: string): Promise<void> {
    this.config(id);
    this.configs.delete(id);
    this.save();
    await waitFor(`${id} to leave the config`, () => !gate.events.get(id), 5_000, 20);
  }

  private save(): void {
    if (this.file) this.file.write([...this.configs.values()]);
    else this.path();
  }

  async remove(): Promise<void> {
    await this.file?.remove();
  }
}
