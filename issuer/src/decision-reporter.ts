import type { Logger } from 'pino';
import type { EventDecision } from './db/decide-event.js';
import type { EventKey } from './decisions/grouping.js';
import { AbandonedError, type LaneHooks } from './decisions/lanes.js';
import { errorCode } from './error-code.js';
import type { IssuerMetrics } from './metrics.js';

/**
 * What the event lanes' transactions tell operators: metrics and logs, kept out of the
 * lanes so that deciding never depends on them (the lanes swallow a hook's errors).
 */
export class DecisionReporter implements LaneHooks<EventDecision> {
  /** "Sold out" is news once per event and process, not after every later transaction. */
  private readonly soldOutLogged = new Set<string>();

  constructor(
    private readonly metrics: IssuerMetrics,
    private readonly logger: Logger,
    /** Whether the database is known down (the outage is then logged once, elsewhere). */
    private readonly databaseDown: () => boolean = () => false,
  ) {}

  decided(
    key: EventKey,
    d: EventDecision,
    requests: number,
    seconds: number,
    copies: number,
  ): void {
    const labels = this.metrics.eventLabels(key.tenant, key.eventId);
    const m = this.metrics;
    m.transactionRequests.observe(requests);
    m.transactionSeconds.observe(seconds);
    for (const [step, ms] of Object.entries(d.timings))
      m.transactionStepSeconds.inc({ step }, ms / 1000);
    for (const [outcome, count] of Object.entries(d.outcomes)) {
      m.decisions.inc({ ...labels, outcome }, count);
    }
    if (d.outcomes.ISSUED) m.couponsIssued.inc(labels, d.outcomes.ISSUED);
    if (d.outcomes.SOLD_OUT) m.soldOut.inc(labels, d.outcomes.SOLD_OUT);
    if (d.redelivered + copies > 0) m.duplicates.inc(d.redelivered + copies);
    m.remaining.set(labels, Math.max(0, d.stock - d.issued));
    for (const revision of d.revisions) {
      const fields = { ...labels, generation: revision.generation, stock: revision.stock };
      if (revision.outcome === 'REFUSED') {
        m.stockRefusals.inc(labels);
        this.logger.error(
          { ...fields, issued: revision.issuedThen, keptStock: revision.previousStock },
          `config generation ${revision.generation} of ${key.tenant}/${key.eventId} refused: its stock ${revision.stock} is below the ${revision.issuedThen} coupons already issued; the event keeps stock ${revision.previousStock}, and requests carrying that generation are REJECTED (STOCK_BELOW_ISSUED)`,
        );
      } else if (revision.generation === d.createdGeneration) {
        this.logger.info(fields, "event created from its first requests' policy");
      } else {
        this.logger.info(
          { ...fields, previousStock: revision.previousStock },
          'config generation applied',
        );
      }
    }
    if (d.codeFormatKept) {
      this.logger.warn(
        labels,
        "a newer config changes the code format; codes keep the event's first format so they never collide",
      );
    }
    const id = `${key.tenant}/${key.eventId}`;
    if (d.issued >= d.stock && !this.soldOutLogged.has(id)) {
      this.soldOutLogged.add(id);
      this.logger.info({ ...labels, stock: d.stock }, 'event sold out');
    }
    this.logger.debug(
      {
        ...labels,
        requests,
        outcomes: d.outcomes,
        ms: Math.round(seconds * 1000),
        steps: d.timings,
      },
      'transaction committed',
    );
  }

  failed(key: EventKey, error: unknown, attempt: number, delayMs: number): void {
    // Given up waiting for the database (shutdown): no transaction was tried.
    if (error instanceof AbandonedError) return;
    this.metrics.transactionFailures.inc({ code: errorCode(error) });
    // In an outage every event's lane fails at once: one line per lane and retry would
    // bury the outage's own line. A failure while the database answers (a deadlock, a
    // timeout) is news each time.
    const level = this.databaseDown() ? 'debug' : 'warn';
    this.logger[level](
      {
        tenant: key.tenant,
        eventId: key.eventId,
        attempt,
        delayMs,
        code: errorCode(error),
        error: (error as Error).message,
      },
      'deciding transaction failed; retrying (nothing was skipped or committed twice)',
    );
  }
}
