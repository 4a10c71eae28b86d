/** Every gate metric with a series per configured event (tenant, event labels). */
export const PER_EVENT_METRICS = [
  'rediclaim_gate_queue_length',
  'rediclaim_gate_processing',
  'rediclaim_gate_processing_oldest_seconds',
  'rediclaim_gate_admission_rate_limit',
  'rediclaim_gate_admission_allowed_rate',
  'rediclaim_gate_admission_overdue',
  'rediclaim_gate_admission_slowdowns_total',
  'rediclaim_gate_event_stock',
  'rediclaim_gate_event_open',
  'rediclaim_gate_admitted_total',
  'rediclaim_gate_requeued_total',
  'rediclaim_gate_results_total',
  'rediclaim_gate_joins_total',
] as const;
