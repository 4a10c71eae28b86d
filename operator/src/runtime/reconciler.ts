/** What a reconcile asks of its queue when it succeeds (controller-runtime's `Result`). */
export interface ReconcileResult {
  /**
   * Look again after this long (schedule boundary, polling), even if nothing changes;
   * 0 or less: at once.
   */
  requeueAfterMs?: number;
}

/**
 * Brings what one key names to what it should be. It is handed a key, not what changed
 * (level-triggered), so notifications that were merged or missed cost nothing; throwing
 * means "try again later, with backoff".
 */
export interface Reconciler {
  reconcile(key: string): Promise<ReconcileResult>;
}
