import type { EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { CheckResult } from '../http/health.js';

export interface GroupConsumerOptions {
  groupId: string;
  topic: string;
  sessionTimeoutMs: number;
}

/** How long after a crash kafkajs does not restart from a new consumer is started. */
const RESTART_DELAY_MS = 5_000;

/**
 * One of the gate's Kafka consumers: a group (each record handled by one replica of the
 * fleet) reading one topic from the beginning for a new group, batch by batch, the
 * handler resolving the offsets it is done with. Kafka going away never ends it: kafkajs
 * restarts a consumer that crashed on a retriable error, and this class starts a new one
 * after any other crash. Out of its group (after Kafka comes back, the group waits up to
 * the session timeout for the member it lost), records wait in Kafka.
 */
export abstract class GroupConsumer {
  private consumer: ReturnType<Kafka['consumer']> | undefined;
  private joined = false;
  /** When it last left its group (ms since the epoch), for the log of its return. */
  private leftAt: number | undefined;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;

  protected constructor(
    private readonly base: {
      kafka: Kafka;
      logger: Logger;
      /** Named in logs and /readyz: "results consumer". */
      name: string;
      /** What waits while it is out of its group, for /readyz: "results". */
      waiting: string;
      /** Called with each change of membership (the metric of it). */
      onJoined: (joined: boolean) => void;
    },
    private readonly groupOptions: GroupConsumerOptions,
  ) {}

  protected abstract handleBatch(payload: EachBatchPayload): Promise<void>;

  /** For /readyz: shown, never deciding (informational). */
  check(): CheckResult {
    return this.joined
      ? { ok: true, informational: true }
      : {
          ok: false,
          message: `not in its consumer group: ${this.base.waiting} wait in Kafka until it (re)joins`,
          informational: true,
        };
  }

  /** Joins the group and consumes; rejects (nothing left running) when Kafka does not answer. */
  async start(): Promise<void> {
    this.stopped = false;
    clearTimeout(this.restartTimer);
    const { sessionTimeoutMs } = this.groupOptions;
    const consumer = this.base.kafka.consumer({
      groupId: this.groupOptions.groupId,
      sessionTimeout: sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(sessionTimeoutMs / 10)),
      rebalanceTimeout: Math.max(10_000, sessionTimeoutMs),
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => this.setJoined(true));
    consumer.on(consumer.events.STOP, () => this.setJoined(false));
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      const wasJoined = this.joined;
      this.setJoined(false);
      // Once per outage: kafkajs crashes again at every failed restart.
      this.base.logger[wasJoined ? 'warn' : 'debug'](
        { err: error, restart },
        `${this.base.name} crashed; ${this.base.waiting} are handled once it is back in its group`,
      );
      if (!restart) this.restartLater();
    });
    try {
      await consumer.connect();
      // A new group starts at the beginning: what was produced before the first gate
      // started is still handled (handling is idempotent).
      await consumer.subscribe({ topic: this.groupOptions.topic, fromBeginning: true });
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: (payload) => this.handleBatch(payload),
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.consumer?.disconnect();
  }

  private setJoined(joined: boolean): void {
    if (joined && !this.joined && this.leftAt !== undefined)
      this.base.logger.info(
        { outMs: Date.now() - this.leftAt },
        `${this.base.name} back in its group`,
      );
    if (!joined && this.joined) this.leftAt = Date.now();
    this.joined = joined;
    this.base.onJoined(joined);
  }

  /** After a crash kafkajs does not restart from: a new consumer, until one runs. */
  private restartLater(): void {
    if (this.stopped) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      if (this.stopped) return;
      this.start().catch((error: unknown) => {
        this.base.logger.debug({ err: error }, `${this.base.name} restart failed; trying again`);
        this.restartLater();
      });
    }, RESTART_DELAY_MS);
  }
}
