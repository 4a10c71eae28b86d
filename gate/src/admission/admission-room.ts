import { Phase, UserStatus } from '@rediclaim/core';
import type { LiveEvent } from '../config/live-event.js';
import { WaitingRoom } from '../queue/waiting-room.js';
import type { EventInfo, EventStats, JoinResult, StatusView } from '../queue/views.js';
import type { AdmissionPause } from './dispatcher.js';

/** The poll interval of a waiting shopper while admission is paused (a paused event's too). */
const PAUSED_POLL_MS = 5_000;

/**
 * The waiting room as shoppers and the operator see it while this replica admits nobody
 * new for a reason of its own (Kafka unreachable): an open event reads Paused, a waiting
 * shopper keeps their place, with no ETA (the page says admission is paused and the
 * place is kept), and the admin stats say why. Everything else is the waiting room's.
 */
export class AdmissionAwareRoom extends WaitingRoom {
  constructor(
    private readonly pause: () => AdmissionPause | undefined,
    ...room: ConstructorParameters<typeof WaitingRoom>
  ) {
    super(...room);
  }

  override async join(event: LiveEvent, userId: string): Promise<JoinResult> {
    const result = await super.join(event, userId);
    return { ...result, view: this.whilePaused(result.view) };
  }

  override async status(eventId: string, userId: string): Promise<StatusView> {
    return this.whilePaused(await super.status(eventId, userId));
  }

  override async info(event: LiveEvent): Promise<EventInfo> {
    const info = await super.info(event);
    return info.phase === Phase.Open && this.pause() ? { ...info, phase: Phase.Paused } : info;
  }

  override async stats(tenant: string, eventId: string): Promise<EventStats> {
    const stats = await super.stats(tenant, eventId);
    const pause = this.pause();
    const admission = pause
      ? {
          paused: true,
          reason: pause.reason,
          message: pause.message,
          since: new Date(pause.since).toISOString(),
        }
      : { paused: false };
    return { ...stats, admission };
  }

  private whilePaused(view: StatusView): StatusView {
    if (view.status !== UserStatus.Waiting || view.phase !== Phase.Open || !this.pause())
      return view;
    return { ...view, phase: Phase.Paused, etaSeconds: null, pollAfterMs: PAUSED_POLL_MS };
  }
}
