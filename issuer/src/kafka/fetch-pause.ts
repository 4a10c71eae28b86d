import type { Consumer } from 'kafkajs';

/**
 * Pauses fetching the request topic while any reason holds (the database is down, the
 * issuer is stopping) and resumes it only when none does: a database that comes back
 * during shutdown must not restart fetching. kafkajs keeps pauses on its consumer
 * group object, which it replaces when it restarts after a crash, and refuses them
 * before run(): every group join applies the pause again (reapply()).
 */
export class FetchPause {
  private readonly reasons = new Set<string>();

  constructor(
    private readonly consumer: Pick<Consumer, 'pause' | 'resume'>,
    private readonly topic: string,
  ) {}

  get paused(): boolean {
    return this.reasons.size > 0;
  }

  /** True when this reason paused fetching (it was running). */
  hold(reason: string): boolean {
    const was = this.paused;
    this.reasons.add(reason);
    this.apply();
    return !was;
  }

  /** True when this was the last reason and fetching resumed. */
  release(reason: string): boolean {
    if (!this.reasons.delete(reason)) return false;
    this.apply();
    return !this.paused;
  }

  /** After a group (re)join: kafkajs may have forgotten the pause with its old group object. */
  reapply(): void {
    if (this.paused) this.apply();
  }

  private apply(): void {
    const topics = [{ topic: this.topic }];
    try {
      if (this.paused) this.consumer.pause(topics);
      else this.consumer.resume(topics);
    } catch {
      // Not running yet (kafkajs throws before run()): the join applies it.
    }
  }
}
