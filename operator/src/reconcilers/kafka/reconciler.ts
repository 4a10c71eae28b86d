import type { ReconcileResult, Reconciler } from '../../runtime/reconciler.js';
import type { OperatorClients } from '../reconcile-context.js';
import type { KafkaTopics, PartitionChanges } from './topics.js';

/** Keeps the issue topics wide enough for the issuer maximum, checked every RESYNC_SECONDS. */
export class KafkaReconciler implements Reconciler {
  /** Its one key in its queue: there is one pair of topics. */
  static readonly key = 'topics';

  constructor(
    private readonly topics: KafkaTopics,
    private readonly ctx: Pick<OperatorClients, 'settings' | 'logger' | 'metrics'>,
  ) {}

  async reconcile(): Promise<ReconcileResult> {
    const { logger, metrics, settings } = this.ctx;
    let changes: PartitionChanges;
    try {
      changes = await this.topics.ensure();
    } catch (error) {
      metrics.kafkaErrors.inc();
      throw error;
    }
    for (const topic of changes.created) logger.info({ topic }, 'created a Kafka topic');
    for (const r of changes.raised) logger.info(r, 'raised the partitions of a Kafka topic');
    return { requeueAfterMs: settings.RESYNC_SECONDS * 1000 };
  }
}
