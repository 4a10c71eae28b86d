import type { CouponEvent, CouponEventStatus } from '@rediclaim/core';
import { sameJson } from '../../canonical.js';
import { keyOf } from '../../runtime/informer.js';
import type { ReconcileContext } from '../reconcile-context.js';
import { mergeConditions, type ConditionSpec } from './conditions.js';
import { referenceOf } from './couponevent-api.js';
import { transitionEvents } from './status-events.js';

/** The record step: a CouponEvent's status, and the Kubernetes Events its changes deserve. */
export class StatusWriter {
  constructor(private readonly ctx: ReconcileContext) {}

  /** Writes the status only when it differs (an idle reconcile writes nothing). */
  async write(event: CouponEvent, status: CouponEventStatus): Promise<void> {
    if (sameJson(status, event.status)) return;
    const { writer, ownWrites, recorder } = this.ctx;
    this.ctx.assertLeading();
    ownWrites.remember(keyOf(event), await writer.writeStatus(event, status));
    for (const planned of transitionEvents(event.status, status))
      recorder.record(
        referenceOf(event),
        planned.type,
        planned.reason,
        planned.action,
        planned.note,
      );
  }

  /** Sets one condition and leaves the rest of the status as it is. */
  async setCondition(event: CouponEvent, condition: ConditionSpec): Promise<void> {
    const others: ConditionSpec[] = (event.status?.conditions ?? [])
      .filter((c) => c.type !== condition.type)
      .map(({ type, status, reason, message }) => ({ type, status, reason, message }));
    const generation = event.metadata.generation ?? 0;
    const conditions = mergeConditions(
      event.status?.conditions,
      [...others, condition],
      generation,
      new Date(),
    ).map((c) => {
      // Conditions we do not touch keep the generation they were judged against.
      const before = event.status?.conditions?.find((p) => p.type === c.type);
      return before && c.type !== condition.type ? before : c;
    });
    await this.write(event, { ...event.status, conditions });
  }
}
