import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseEventsConfig } from '@rediclaim/core';
import type { ConfigSource, ConfigSourceDeps } from './source.js';

/**
 * EVENTS_FILE for a standalone run: read at start, re-read when the directory changes
 * (fs.watch; editors and Kubernetes volume updates replace the file by rename, which a
 * watch on the file itself would miss) and every `pollMs` in case a change event was
 * lost. An invalid file keeps the last good config and is reported through onInvalid.
 */
export class FileConfigSource implements ConfigSource {
  readonly description: string;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastText: string | undefined;
  /** inode, size and mtime at the last read: the poll reads only when they change. */
  private lastStat = '';
  private lastError: string | undefined;
  private reading: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly file: string,
    private readonly deps: ConfigSourceDeps,
    private readonly pollMs = 500,
  ) {
    this.description = `file ${file}`;
  }

  async start(): Promise<void> {
    await this.reload();
    try {
      this.watcher = watch(path.dirname(path.resolve(this.file)), () => void this.reload(true));
      this.watcher.on('error', () => undefined);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'cannot watch the config directory; polling only');
    }
    this.timer = setInterval(() => void this.reload(false), this.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
    await this.reading;
  }

  /**
   * Reads the file once (`force`), or when its inode, size or mtime changed (the poll);
   * overlapping triggers collapse into one more read.
   */
  reload(force = true): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      let forced = force;
      do {
        this.again = false;
        await this.readOnce(forced);
        forced = true;
      } while (this.again);
    })().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readOnce(force: boolean): Promise<void> {
    let text: string;
    try {
      const st = await stat(this.file);
      const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
      if (!force && key === this.lastStat) return;
      this.lastStat = key;
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      this.refuse(new Error(`cannot read ${this.file}: ${(error as Error).message}`));
      return;
    }
    if (text === this.lastText) return;
    try {
      const config = parseEventsConfig(text, this.file);
      this.lastText = text;
      this.lastError = undefined;
      const change = this.deps.store.apply(config, this.description);
      this.deps.onApplied?.();
      this.deps.logger.info({ ...change, events: config.events.length }, 'events config applied');
    } catch (error) {
      this.lastText = text;
      this.refuse(error as Error);
    }
  }

  private refuse(error: Error): void {
    // Report a broken file once, not on every poll.
    if (error.message === this.lastError) return;
    this.lastError = error.message;
    this.deps.onInvalid?.(error);
    this.deps.logger.error({ err: error }, 'events config refused; keeping the last good one');
  }
}
