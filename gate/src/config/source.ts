import type { Logger } from 'pino';
import type { EventsStore } from './events-store.js';

/** Where the events config comes from; applies every valid version to the store. */
export interface ConfigSource {
  readonly description: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ConfigSourceDeps {
  store: EventsStore;
  logger: Logger;
  /** Called with each config that was refused (the last good one stays). */
  onInvalid?: (error: Error) => void;
  onApplied?: () => void;
}
