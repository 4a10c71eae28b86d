import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { sleep } from '@rediclaim/core';
import { timedCheck, type CheckResult } from '../http/health.js';
import type { GateMetrics } from '../metrics.js';

/** What the gate knows of Kafka right now. */
export interface KafkaState {
  up: boolean;
  /** When it last changed (ms since the epoch). */
  since: number;
  /** Why it is down. */
  message?: string;
}

export interface KafkaMonitorOptions {
  /** How often the probe asks, up or down. */
  intervalMs: number;
  /** A probe not answered within this is a failure. */
  timeoutMs: number;
}

/**
 * Whether Kafka answers this gate: down until the gate has connected, then a cheap
 * probe every interval (the request topic's metadata: every partition has a leader),
 * and every send's outcome: a send Kafka did not acknowledge marks it down at once, a
 * probe or a send that succeeds marks it up again. The dispatcher admits nobody new
 * while it is down; readiness shows it without failing on it, since the waiting room
 * answers shoppers from Redis alone. Transitions are logged once each, not per probe.
 */
export class KafkaMonitor {
  private current: KafkaState = { up: false, since: Date.now(), message: 'not connected yet' };
  private everUp = false;
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly deps: { admin: Admin; topic: string; logger: Logger; metrics: GateMetrics },
    private readonly options: KafkaMonitorOptions,
  ) {
    deps.metrics.kafkaUp.set(0);
  }

  get up(): boolean {
    return this.current.up;
  }

  get state(): Readonly<KafkaState> {
    return this.current;
  }

  /** For /readyz: shown, never deciding (informational). */
  check(): CheckResult {
    const { up, message } = this.current;
    return up ? { ok: true, informational: true } : { ok: false, message, informational: true };
  }

  /** Starts probing; call once the admin client is connected. The first probe runs at once. */
  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  sendFailed(error: unknown): void {
    this.set(false, `a send was not acknowledged: ${(error as Error).message}`);
  }

  sendSucceeded(): void {
    this.set(true);
  }

  private async loop(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      const result = await timedCheck('Kafka', () => this.probe(), this.options.timeoutMs);
      if (signal.aborted) break;
      this.set(result.ok, result.message);
      await sleep(this.options.intervalMs, signal);
    }
  }

  private async probe(): Promise<void> {
    const { admin, topic } = this.deps;
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = topics.find((t) => t.name === topic)?.partitions ?? [];
    if (partitions.length === 0) throw new Error(`the topic ${topic} has no partitions`);
    const leaderless = partitions.filter((p) => p.leader < 0).length;
    if (leaderless > 0) throw new Error(`${leaderless} partitions of ${topic} have no leader`);
  }

  private set(up: boolean, message?: string): void {
    const was = this.current;
    if (was.up === up) {
      // Still down: the latest reason, the same since.
      if (!up && message) this.current = { ...was, message };
      return;
    }
    const now = Date.now();
    this.current = up ? { up, since: now } : { up, since: now, message: message ?? 'unreachable' };
    this.deps.metrics.kafkaUp.set(up ? 1 : 0);
    const { logger } = this.deps;
    if (!up) {
      logger.warn(
        { reason: message },
        'Kafka is unreachable: admission paused, shoppers keep their place',
      );
    } else if (this.everUp) {
      logger.info({ downMs: now - was.since }, 'Kafka answers again: admission resumes');
    } else {
      logger.info({ waitedMs: now - was.since }, 'Kafka connected');
    }
    this.everUp ||= up;
  }
}
