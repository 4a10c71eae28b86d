import { eventIdOf, type CouponEvent } from '@rediclaim/core';
import { describeGateError } from '../../gate-client.js';
import { keyOf } from '../../runtime/informer.js';
import type { ReconcileResult } from '../../runtime/reconciler.js';
import type { ReconcileContext } from '../reconcile-context.js';
import { FINALIZER, referenceOf } from './couponevent-api.js';
import { OperatorConditionType } from './status.js';
import type { StatusWriter } from './status-writer.js';

/**
 * Deletion, in the order that keeps shoppers safe: the event leaves the rendered config
 * (the gate stops serving it), then the gate deletes its queue data, then the finalizer
 * goes and Kubernetes removes the object. Any step that fails keeps the finalizer and is
 * retried with backoff.
 */
export class CouponEventCleanup {
  constructor(
    private readonly ctx: ReconcileContext,
    private readonly status: StatusWriter,
  ) {}

  /** For an event being deleted that still has our finalizer. */
  async finalize(key: string, event: CouponEvent): Promise<ReconcileResult> {
    const { served, configShards } = this.ctx;
    const configMap = configShards.of(eventIdOf(event));
    served.drop(key);
    if (served.mayHold(key)) {
      const error = served.renderError;
      if (error)
        await this.status.setCondition(event, {
          type: OperatorConditionType.CleanedUp,
          status: 'False',
          reason: 'ConfigMapWriteFailed',
          message: `Waiting to remove the event from ConfigMap ${configMap.ref}: ${error}`,
        });
      // The platform reconcile wakes us once the ConfigMap no longer holds the event.
      return { requeueAfterMs: 5_000 };
    }

    const eventId = eventIdOf(event);
    const owner = this.dataOwner(event, eventId);
    if (!owner) await this.deleteQueueData(event, eventId);
    this.ctx.assertLeading();
    await this.ctx.writer.setFinalizers(
      event,
      (event.metadata.finalizers ?? []).filter((f) => f !== FINALIZER),
    );
    this.ctx.recorder.record(
      referenceOf(event),
      'Normal',
      'CleanedUp',
      'Delete',
      owner
        ? `Removed from ConfigMap ${configMap.ref}; the queue data stays with ${owner.metadata.name}, which serves eventId "${eventId}".`
        : `Removed from ConfigMap ${configMap.ref} and deleted the event's queue data from the gate.`,
    );
    this.ctx.logger.info({ event: key, eventId }, 'cleaned up a deleted CouponEvent');
    served.forget(key);
    this.ctx.ownWrites.forget(key);
    return {};
  }

  /**
   * The queue data is keyed by tenant and event id: if another CouponEvent of this
   * namespace serves the same id (this one lost a conflict), the data is its.
   */
  private dataOwner(event: CouponEvent, eventId: string): CouponEvent | undefined {
    const { cache, served } = this.ctx;
    const namespace = event.metadata.namespace ?? '';
    return cache
      .list()
      .find(
        (other) =>
          other.metadata.uid !== event.metadata.uid &&
          other.metadata.namespace === namespace &&
          eventIdOf(other) === eventId &&
          served.isServing(other, keyOf(other)),
      );
  }

  private async deleteQueueData(event: CouponEvent, eventId: string): Promise<void> {
    const namespace = event.metadata.namespace ?? '';
    try {
      this.ctx.assertLeading();
      await this.ctx.gate.deleteEvent(namespace, eventId, event.metadata.uid);
    } catch (error) {
      this.ctx.metrics.gateErrors.inc({ operation: 'delete' });
      const message = `Could not delete the event's queue data: ${describeGateError(error)}. The CouponEvent stays until this succeeds; retrying.`;
      this.ctx.recorder.record(referenceOf(event), 'Warning', 'CleanupFailed', 'Delete', message);
      await this.status.setCondition(event, {
        type: OperatorConditionType.CleanedUp,
        status: 'False',
        reason: 'GateUnreachable',
        message,
      });
      throw error;
    }
  }
}
