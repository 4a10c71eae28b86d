import { errorCode } from '../error-code.js';

/** One database outage, as readiness, metrics and logs describe it. */
export interface Outage {
  since: Date;
  /** The latest failed check: an outage may begin refused and go on timing out. */
  code: string;
  message: string;
  failedChecks: number;
}

export type Transition =
  { kind: 'down'; outage: Outage } | { kind: 'up'; outage: Outage; endedAt: Date; seconds: number };

/**
 * Whether the database is believed up, and the transitions between up and down. An
 * outage is news twice, when it begins and when it ends; every failed check in between
 * only updates it. Kept apart from the checking loop so the transitions can be proven
 * without a clock or a server.
 */
export class Availability {
  private current: Outage | undefined;

  get up(): boolean {
    return this.current === undefined;
  }

  get outage(): Readonly<Outage> | undefined {
    return this.current;
  }

  /** A check failed: the transition when this begins an outage, else undefined. */
  failed(error: unknown, now: Date): Transition | undefined {
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    if (this.current) {
      this.current.code = code;
      this.current.message = message;
      this.current.failedChecks += 1;
      return undefined;
    }
    this.current = { since: now, code, message, failedChecks: 1 };
    return { kind: 'down', outage: { ...this.current } };
  }

  /** A check answered: the transition when this ends an outage, else undefined. */
  answered(now: Date): Transition | undefined {
    const outage = this.current;
    if (!outage) return undefined;
    this.current = undefined;
    const seconds = Math.max(0, now.getTime() - outage.since.getTime()) / 1000;
    return { kind: 'up', outage, endedAt: now, seconds };
  }
}

/** The outage in one sentence, for /readyz. */
export function describeOutage(outage: Readonly<Outage>): string {
  const checks =
    outage.failedChecks === 1 ? '1 failed check' : `${outage.failedChecks} failed checks`;
  return (
    `database unreachable since ${outage.since.toISOString()} (${checks}, last: ${outage.code}: ` +
    `${outage.message}); issuing is paused and requests wait in Kafka until it answers`
  );
}
