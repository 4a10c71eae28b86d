import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { WorkQueueMetrics } from './work-queue-metrics.js';

/** controller-runtime's buckets for controller_runtime_reconcile_time_seconds. */
const RECONCILE_TIME_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1,
  1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** How a reconcile ended, in controller-runtime's words. */
export type ReconcileOutcome = 'success' | 'error' | 'requeue' | 'requeue_after';
export const reconcileOutcomes: readonly ReconcileOutcome[] = [
  'success',
  'error',
  'requeue',
  'requeue_after',
];

/**
 * The machinery's metrics under controller-runtime's and client-go's names, labels and help
 * (pkg/internal/controller/metrics, pkg/internal/metrics/workqueue.go,
 * pkg/metrics/leaderelection.go), so the stock dashboards and alerts of Kubernetes
 * operators read them unchanged.
 */
export function createRuntimeMetrics(registry: Registry) {
  const registers = [registry];
  return {
    reconcileTotal: new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'] as const,
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'] as const,
      registers,
    }),
    reconcileTime: new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'] as const,
      buckets: RECONCILE_TIME_BUCKETS,
      registers,
    }),
    maxConcurrentReconciles: new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'] as const,
      registers,
    }),
    activeWorkers: new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'] as const,
      registers,
    }),
    workQueue: new WorkQueueMetrics(registry),
    leaderElectionStatus: new Gauge({
      name: 'leader_election_master_status',
      help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
      labelNames: ['name'] as const,
      registers,
    }),
  };
}

export type RuntimeMetrics = ReturnType<typeof createRuntimeMetrics>;

/** What a controller reports about its reconciles and workers. */
export type ControllerMetrics = Pick<
  RuntimeMetrics,
  | 'reconcileTotal'
  | 'reconcileErrors'
  | 'reconcileTime'
  | 'maxConcurrentReconciles'
  | 'activeWorkers'
>;
