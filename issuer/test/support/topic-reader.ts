import type { Consumer, KafkaMessage } from 'kafkajs';
import { uniqueName } from '@rediclaim/hack/testing';
import type { Scenario } from './scenario.js';

/** Reads a topic from the beginning in the background; `until` waits for a condition. */
export class TopicReader<T> {
  readonly items: T[] = [];
  private consumer?: Consumer;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly s: Scenario,
    private readonly topic: string,
    /** What one record holds: a batch record holds many items (the record itself, for its key and headers). */
    private readonly parse: (value: Buffer, record: KafkaMessage & { partition: number }) => T[],
  ) {}

  async start(): Promise<this> {
    this.consumer = this.s.kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (m.value)
            this.items.push(...this.parse(m.value, { ...m, partition: batch.partition }));
        }
        for (const wake of this.waiters) wake();
      },
    });
    return this;
  }

  async until(
    condition: (items: T[]) => boolean,
    timeoutMs = 30_000,
    what = 'condition',
  ): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (!condition(this.items)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs}ms waiting for ${what} (${this.items.length} items read)`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiters = [];
    }
    return this.items;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
