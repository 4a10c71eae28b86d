import { powDifficulty } from '@rediclaim/core';
import type { LiveEvent } from '../config/live-event.js';
import type { GateScripts } from '../redis/gate-scripts.js';

/**
 * Whether each event's join spike lasts, as Redis says (spendPow.lua starts and holds
 * it; every replica reads the same flag), remembered for `refreshMs` so a crowd asking
 * for challenges costs one Redis read per event per refresh, not one per challenge.
 * A spike seen by a join (spendPow's answer) is taken at once.
 */
export class PowDifficulty {
  private readonly seen = new Map<string, { spiking: boolean; at: number }>();

  constructor(
    private readonly scripts: Pick<GateScripts, 'powSpiking'>,
    private readonly refreshMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The difficulty of a challenge issued now. */
  async of(event: LiveEvent): Promise<number> {
    const pow = event.config.admission.proofOfWork;
    if (!pow.spike) return pow.difficulty;
    const now = this.clock();
    const known = this.seen.get(event.keys.powSpike);
    if (known && now - known.at < this.refreshMs) return powDifficulty(pow, known.spiking);
    const spiking = await this.scripts.powSpiking(event.keys);
    this.note(event, spiking);
    return powDifficulty(pow, spiking);
  }

  /** What a join just learnt from Redis. */
  note(event: LiveEvent, spiking: boolean): void {
    this.seen.set(event.keys.powSpike, { spiking, at: this.clock() });
  }

  /** Forgets events that left the config (the map stays bounded by it). */
  retain(events: Iterable<LiveEvent>): void {
    const live = new Set<string>();
    for (const event of events) live.add(event.keys.powSpike);
    for (const key of this.seen.keys()) if (!live.has(key)) this.seen.delete(key);
  }
}
