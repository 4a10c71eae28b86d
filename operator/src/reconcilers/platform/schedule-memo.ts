import {
  nextScheduleChange,
  schedulePhase,
  type EventConfig,
  type SchedulePhase,
} from '@rediclaim/core';

interface Memo {
  from: number;
  /** The next boundary after `from`; undefined: none, the phase never changes again. */
  until: number | undefined;
  phase: SchedulePhase;
}

/**
 * Each served config's schedule phase and next boundary, until that boundary: a render
 * looks at every served event (the issuer's size, when to come back), 10,000 date
 * parses a render otherwise, and the answer only changes at a boundary.
 */
const memos = new WeakMap<EventConfig, Memo>();

function memo(config: EventConfig, now: number): Memo {
  const known = memos.get(config);
  if (known && now >= known.from && (known.until === undefined || now < known.until)) return known;
  const fresh = {
    from: now,
    until: nextScheduleChange(config.schedule, now),
    phase: schedulePhase(config, now),
  };
  memos.set(config, fresh);
  return fresh;
}

export function nextChange(config: EventConfig, now: number): number | undefined {
  return memo(config, now).until;
}

export function phaseOf(config: EventConfig, now: number): SchedulePhase {
  return memo(config, now).phase;
}
