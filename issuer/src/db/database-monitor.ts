import { backoffDelay, sleep, type BackoffPolicy } from '@rediclaim/core';
import { Availability, describeOutage, type Outage } from './availability.js';

export interface MonitorHooks {
  /** Once per outage, at its first failed check. */
  down?(outage: Outage): void;
  /** Once per outage, at the first check that answers again. */
  up?(outage: Outage, seconds: number): void;
  /** Every failed check, the first included; `attempt` counts this outage's checks. */
  checkFailed?(error: unknown, attempt: number): void;
}

export interface DatabaseMonitorOptions {
  /** Resolves when the database answers; throws the driver's error otherwise. */
  probe(): Promise<void>;
  /** Between checks during an outage: capped and exponential, so a long outage costs little. */
  backoff: BackoffPolicy;
  /** Between checks while the database answers, so an idle issuer notices an outage too. */
  intervalMs: number;
  hooks?: MonitorHooks;
  now?: () => Date;
  /** How the loop waits between checks (tests see the delays it chooses). */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * The one place that decides whether the database is down. Transactions do not judge
 * their own failures (a deadlock or a statement timeout is not an outage): they report
 * them with suspect(), and a ping says which it was. During an outage only this loop
 * talks to the database, with capped exponential backoff; the work waiting in
 * untilUp() starts again once a ping answers, and never before.
 */
export class DatabaseMonitor {
  private readonly availability = new Availability();
  private readonly stopping = new AbortController();
  private readonly now: () => Date;
  private readonly wait: (ms: number, signal: AbortSignal) => Promise<void>;
  private checking: Promise<void> | undefined;
  /** Aborted to cut short the loop's wait when an outage begins. */
  private nap = new AbortController();
  private upWaiters = new Set<() => void>();
  private attempt = 0;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: DatabaseMonitorOptions) {
    this.now = options.now ?? (() => new Date());
    this.wait = options.wait ?? sleep;
  }

  get up(): boolean {
    return this.availability.up;
  }

  get outage(): Readonly<Outage> | undefined {
    return this.availability.outage;
  }

  /** Starts the periodic checks; the database is taken to be up (it was just connected). */
  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the checks and releases everything waiting in untilUp() (with false). */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wakeWaiters();
    await this.loop;
    await this.checking;
  }

  /**
   * Something failed against the database: resolves once a check has said whether it
   * is down, so the caller's retry meets the verdict. While already down nothing is
   * checked here: the loop's backoff alone paces the checks.
   */
  async suspect(): Promise<void> {
    if (this.availability.up) await this.check();
  }

  /** True once the database is believed up (at once if it is); false if `signal` or stop() came first. */
  async untilUp(signal?: AbortSignal): Promise<boolean> {
    // A verdict in the making comes first: work must not start into a database found down.
    if (this.checking) await this.checking;
    while (!this.availability.up) {
      if (signal?.aborted || this.stopping.signal.aborted) return false;
      await new Promise<void>((resolve) => {
        const done = () => {
          this.upWaiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.upWaiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    return !signal?.aborted && !this.stopping.signal.aborted;
  }

  /**
   * For /readyz: while the database is believed up a check runs now (an outage is seen
   * even before a transaction meets it); during an outage the loop's latest verdict
   * answers, so probes do not add to the checks the backoff paces.
   */
  async readiness(): Promise<{ ok: boolean; detail?: string }> {
    if (this.availability.up) await this.check();
    const outage = this.availability.outage;
    return outage ? { ok: false, detail: describeOutage(outage) } : { ok: true };
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const delay = this.availability.up
        ? this.options.intervalMs
        : backoffDelay(this.attempt, this.options.backoff);
      // A fresh nap each time: the delay was just chosen from the latest verdict.
      this.nap = new AbortController();
      await this.wait(delay, AbortSignal.any([this.nap.signal, this.stopping.signal]));
      if (this.stopping.signal.aborted) break;
      await this.check();
    }
  }

  /** One check at a time: callers meanwhile share its verdict, so results apply in order. */
  private check(): Promise<void> {
    this.checking ??= this.probeOnce().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async probeOnce(): Promise<void> {
    try {
      await this.options.probe();
    } catch (error) {
      this.attempt += 1;
      const began = this.availability.failed(error, this.now());
      this.hook(() => this.options.hooks?.checkFailed?.(error, this.attempt));
      if (began) {
        this.hook(() => this.options.hooks?.down?.(began.outage));
        // The loop may be in its long wait between checks of a healthy database.
        this.nap.abort();
      }
      return;
    }
    this.attempt = 0;
    const ended = this.availability.answered(this.now());
    if (ended?.kind === 'up') {
      this.hook(() => this.options.hooks?.up?.(ended.outage, ended.seconds));
      this.wakeWaiters();
    }
  }

  private wakeWaiters(): void {
    for (const waiter of [...this.upWaiters]) waiter();
  }

  /** Metrics, logs and pausing never break the loop that checks. */
  private hook(call: () => void): void {
    try {
      call();
    } catch {
      // ignored on purpose
    }
  }
}
