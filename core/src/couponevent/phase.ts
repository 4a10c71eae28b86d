import { ms } from './rules.js';
import { AdmissionMode, type Admission, type Schedule } from './spec.js';
import { Phase } from './status.js';

/** The phases the schedule and the admission mode decide, before stock is considered. */
export type SchedulePhase =
  | typeof Phase.Scheduled
  | typeof Phase.PreQueue
  | typeof Phase.Open
  | typeof Phase.Paused
  | typeof Phase.Closed;

/**
 * Where the schedule puts an event at `now` (epoch ms). The gate uses it to accept or
 * refuse joins, the operator to report status; both must agree, so it lives here.
 */
export function schedulePhase(
  event: { schedule: Schedule; admission: Pick<Admission, 'mode'> },
  now: number,
): SchedulePhase {
  const { opensAt, closesAt, preQueueOpensAt } = event.schedule;
  if (closesAt !== undefined && now >= ms(closesAt)) return Phase.Closed;
  if (now >= ms(opensAt))
    return event.admission.mode === AdmissionMode.Paused ? Phase.Paused : Phase.Open;
  if (preQueueOpensAt !== undefined && now >= ms(preQueueOpensAt)) return Phase.PreQueue;
  return Phase.Scheduled;
}

/** The phase shown to people: a sold-out event that has not closed reads SoldOut. */
export function eventPhase(
  event: { schedule: Schedule; admission: Pick<Admission, 'mode'> },
  now: number,
  soldOut: boolean,
): Phase {
  const phase = schedulePhase(event, now);
  return soldOut && phase !== Phase.Closed && phase !== Phase.Scheduled ? Phase.SoldOut : phase;
}

/** Whether shoppers may join the queue in this phase. */
export function acceptsJoins(phase: Phase): boolean {
  return phase === Phase.PreQueue || phase === Phase.Open || phase === Phase.Paused;
}

/** The next instant (epoch ms) after `now` at which the schedule changes the phase. */
export function nextScheduleChange(schedule: Schedule, now: number): number | undefined {
  const instants = [schedule.preQueueOpensAt, schedule.opensAt, schedule.closesAt]
    .filter((t): t is string => t !== undefined)
    .map(ms)
    .filter((t) => t > now);
  return instants.length ? Math.min(...instants) : undefined;
}
