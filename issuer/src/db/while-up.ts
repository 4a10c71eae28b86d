import { AbandonedError } from '../decisions/lanes.js';
import type { DatabaseMonitor } from './database-monitor.js';

/**
 * `step` made to wait out a database outage instead of failing into it over and over:
 * it starts only while the monitor believes the database up, and after a failure it
 * asks the monitor for a verdict before failing, so the caller's retry (the lanes'
 * backoff) waits for the database to come back rather than spinning against it, and
 * its failure hook already knows whether this was an outage. Throws AbandonedError when
 * `signal` aborts first (the shutdown deadline): nothing was tried, nothing committed.
 */
export function whileUp<A extends unknown[], T>(
  monitor: DatabaseMonitor,
  step: (...args: A) => Promise<T>,
  signal?: AbortSignal,
): (...args: A) => Promise<T> {
  return async (...args: A) => {
    if (!(await monitor.untilUp(signal))) {
      throw new AbandonedError('given up while waiting for the database');
    }
    try {
      return await step(...args);
    } catch (error) {
      await monitor.suspect();
      throw error;
    }
  };
}
