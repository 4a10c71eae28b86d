import { UserStatus } from '@rediclaim/core';

/**
 * The rules of one push stream, pure: which state a status body is (the frame id), when
 * the stream is over, and what a waiting shopper is told between two reads as the line
 * moves up.
 */

/** The fields of GET /v1/events/:id/queue/me's body a stream reasons about. */
export interface StreamedStatus {
  status: string;
  rank: number | null;
  ahead: number | null;
  etaSeconds: number | null;
}

/**
 * A waiting shopper is told their progress at most this often: with 10,000 streams on a
 * gate and the line moving 2,000 a second, one a second each was 10,000 frames a second
 * (serialized, written, parsed), and it delayed the outcomes (hack/bench push).
 */
export const PROGRESS_MIN_INTERVAL_MS = 3_000;
/** ... and at least this often while the line moves at all. */
export const PROGRESS_MAX_INTERVAL_MS = 10_000;
/** Between those, a frame when the people ahead fell by this share since the last one. */
export const PROGRESS_STEP = 0.1;

/**
 * The state a body shows, as the frame id: the same state has the same id on every
 * replica, so a browser reconnecting elsewhere with Last-Event-ID is not told it again.
 */
export function stateIdOf(body: StreamedStatus): string {
  return body.status === UserStatus.Waiting && body.rank !== null
    ? `${body.status}.${body.rank}`
    : body.status;
}

/**
 * Whether the stream ends after telling this status: only WAITING and PROCESSING change by
 * themselves. An outcome is final; not in the queue, not open yet: the shopper acts first.
 */
export function endsStream(status: string): boolean {
  return status !== UserStatus.Waiting && status !== UserStatus.Processing;
}

/**
 * A waiting shopper's body after the line moved up `moved` places since it was read
 * (admission takes the line in ticket order, so everyone waiting moves up as many);
 * undefined when it shows no place (pre-queue, not waiting).
 */
export function movedOn<T extends StreamedStatus>(body: T, moved: number): T | undefined {
  if (body.status !== UserStatus.Waiting || body.ahead === null || body.rank === null)
    return undefined;
  const ahead = Math.max(0, body.ahead - moved);
  const etaSeconds =
    body.etaSeconds === null || body.ahead === 0
      ? body.etaSeconds
      : Math.ceil((body.etaSeconds * ahead) / body.ahead);
  return { ...body, ahead, rank: ahead + 1, etaSeconds };
}

/** Whether progress from `lastAhead` (the last frame) to `ahead` is worth a frame now. */
export function isMilestone(lastAhead: number, ahead: number, sinceLastFrameMs: number): boolean {
  if (ahead >= lastAhead || sinceLastFrameMs < PROGRESS_MIN_INTERVAL_MS) return false;
  return ahead <= lastAhead * (1 - PROGRESS_STEP) || sinceLastFrameMs >= PROGRESS_MAX_INTERVAL_MS;
}
