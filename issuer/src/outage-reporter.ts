import type { Logger } from 'pino';
import type { Outage } from './db/availability.js';
import type { MonitorHooks } from './db/database-monitor.js';
import { errorCode } from './error-code.js';
import type { IssuerMetrics } from './metrics.js';

/**
 * What a database outage tells operators. Logged twice, when it begins and when it
 * ends: a check every few seconds for an hour must not bury the one line that says
 * what happened. The metrics carry the rest (mysql_up, when it began, every failed
 * check by error code, the seconds spent down).
 */
export class OutageReporter implements Required<MonitorHooks> {
  constructor(
    private readonly metrics: IssuerMetrics,
    private readonly logger: Logger,
  ) {}

  /** The pool is open: the database answers. */
  connected(): void {
    this.metrics.mysqlUp.set(1);
    this.metrics.mysqlDownSince.set(0);
  }

  down(outage: Outage): void {
    this.metrics.mysqlUp.set(0);
    this.metrics.mysqlDownSince.set(outage.since.getTime() / 1000);
    this.metrics.mysqlOutages.inc();
    this.logger.error(
      { code: outage.code, error: outage.message, since: outage.since.toISOString() },
      'database unreachable: fetching paused, the requests in hand wait (nothing is lost or committed) until it answers again',
    );
  }

  up(outage: Outage, seconds: number): void {
    this.metrics.mysqlUp.set(1);
    this.metrics.mysqlDownSince.set(0);
    this.metrics.mysqlOutageSeconds.inc(seconds);
    this.logger.info(
      {
        downSeconds: Math.round(seconds * 10) / 10,
        failedChecks: outage.failedChecks,
        lastCode: outage.code,
      },
      'database reachable again: issuing and fetching resumed',
    );
  }

  checkFailed(error: unknown, attempt: number): void {
    this.metrics.mysqlCheckFailures.inc({ code: errorCode(error) });
    this.logger.debug(
      { attempt, code: errorCode(error), error: (error as Error).message },
      'database check failed',
    );
  }
}
