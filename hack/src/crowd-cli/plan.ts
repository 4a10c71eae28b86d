import type { ArrivalShape } from '../crowd/arrival.js';
import { CrowdCliError, ExitCode } from './errors.js';
import type { GateEvent } from './gate-event.js';
import type { CrowdCliOptions } from './options.js';

/** When the crowd starts and how it arrives, decided from the options and the event's schedule. */
export interface ArrivalPlan {
  shape: ArrivalShape;
  seconds: number;
  /** Epoch ms at which the first shopper may arrive (now, the opening, or the pre-queue's). */
  startAt: number;
  /** One sentence for the person watching. */
  description: string;
}

const DEFAULT_SECONDS = { spread: 10, spike: 1, prequeue: 10 } as const;
/** Joins of a pre-queue crowd end this long before the opening, so none lands after it. */
export const PREQUEUE_MARGIN_MS = 1_000;
/** Starts this long after the gate's phase change, so no shopper arrives a moment early. */
const AFTER_CHANGE_MS = 250;

const inSeconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function planArrival(
  options: Pick<CrowdCliOptions, 'arrival' | 'seconds' | 'users' | 'eventId'> &
    Partial<Pick<CrowdCliOptions, 'api' | 'poll'>>,
  event: GateEvent,
  now = Date.now(),
): ArrivalPlan {
  const opensAt = Date.parse(event.opensAt);
  const follow =
    options.poll || options.api === 'seed'
      ? 'poll'
      : 'follow their pushed status (polling where refused)';
  const { eventId, users } = options;
  if (event.phase === 'Closed' || event.phase === 'Failed')
    throw new CrowdCliError(
      `event "${eventId}" is ${event.phase}: a crowd has nothing to join`,
      ExitCode.CannotRun,
    );

  if (options.arrival !== 'prequeue') {
    const seconds = options.seconds ?? DEFAULT_SECONDS[options.arrival];
    const waits = event.phase === 'Scheduled' || event.phase === 'PreQueue';
    const startAt = waits ? Math.max(now, opensAt + AFTER_CHANGE_MS) : now;
    const how =
      options.arrival === 'spike'
        ? `each at a random instant of ${seconds} s`
        : `evenly over ${seconds} s`;
    return {
      shape: options.arrival,
      seconds,
      startAt,
      description: `${users} shoppers arrive ${how}${startAt > now ? `, when the sale opens in ${inSeconds(startAt - now)}` : ''}, join the queue and ${follow} until they know their outcome`,
    };
  }

  if (event.phase !== 'Scheduled' && event.phase !== 'PreQueue')
    throw new CrowdCliError(
      `--arrival prequeue needs a sale that has not opened yet, and event "${eventId}" is ${event.phase}: use spread or spike`,
      ExitCode.CannotRun,
    );
  if (!event.preQueueOpensAt)
    throw new CrowdCliError(
      `--arrival prequeue needs a pre-queue (spec.schedule.preQueueOpensAt), and event "${eventId}" has none: use spread or spike, which wait for the opening`,
      ExitCode.CannotRun,
    );
  const preQueueAt = Date.parse(event.preQueueOpensAt);
  const startAt = event.phase === 'PreQueue' ? now : Math.max(now, preQueueAt + AFTER_CHANGE_MS);
  const room = opensAt - PREQUEUE_MARGIN_MS - startAt;
  if (room <= 0)
    throw new CrowdCliError(
      `event "${eventId}" opens in ${inSeconds(opensAt - now)}: too late for a crowd to join its pre-queue`,
      ExitCode.CannotRun,
    );
  if (options.seconds !== undefined && options.seconds * 1000 > room)
    throw new CrowdCliError(
      `--seconds ${options.seconds} does not fit: the pre-queue of event "${eventId}" has ${inSeconds(room)} left before the sale opens (${event.opensAt})`,
      ExitCode.CannotRun,
    );
  const seconds = options.seconds ?? Math.min(DEFAULT_SECONDS.prequeue, room / 1000);
  return {
    shape: 'spread',
    seconds,
    startAt,
    description: `${users} shoppers join the pre-queue evenly over ${seconds.toFixed(1)} s${startAt > now ? `, from when it opens in ${inSeconds(startAt - now)}` : ''}, then wait for the opening in ${inSeconds(opensAt - now)} and ${follow} until they know their outcome`,
  };
}
