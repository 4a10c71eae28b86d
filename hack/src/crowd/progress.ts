import type { CrowdProgress } from './crowd.js';

/** One line a second while the crowd shops: where everybody stands. */
export function progressLine(p: CrowdProgress): string {
  const s = p.byStatus;
  return `${(p.elapsedMs / 1000).toFixed(0).padStart(3)} s  joined ${p.joined}  waiting ${s.WAITING ?? 0}  processing ${s.PROCESSING ?? 0}  issued ${s.ISSUED ?? 0}  sold out ${s.SOLD_OUT ?? 0}  errors ${p.errors}`;
}
