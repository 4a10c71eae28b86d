import type { CouponEvent } from '@rediclaim/core';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { registerCouponEventMetrics } from './couponevent-metrics.js';
import { createRuntimeMetrics } from './runtime/metrics.js';

/** The `controller` label of the machinery's metrics: one controller per reconciler. */
export type ReconcileKind = 'couponevent' | 'platform' | 'kafka';

/**
 * The operator's Prometheus metrics, on a registry of its own (tests run several
 * operators): the machinery's under controller-runtime's names, the CouponEvents' in
 * kube-state-metrics' style, and the operator's own under `rediclaim_operator_`.
 */
export function createMetrics() {
  const registry = new Registry();
  // Node's metrics under their standard names (process_*, nodejs_*), as stock dashboards expect.
  collectDefaultMetrics({ register: registry });
  let couponEvents: () => readonly CouponEvent[] = () => [];
  registerCouponEventMetrics(registry, () => couponEvents());
  return {
    registry,
    ...createRuntimeMetrics(registry),
    leaderTransitions: new Counter({
      name: 'rediclaim_operator_leader_transitions_total',
      help: 'Times this replica started or stopped leading.',
      labelNames: ['to'] as const,
      registers: [registry],
    }),
    informerRestarts: new Counter({
      name: 'rediclaim_operator_informer_restarts_total',
      help: 'Watches redone: closed by the server, expired (410, relisted) or failed.',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    configWrites: new Counter({
      name: 'rediclaim_operator_config_writes_total',
      help: 'Writes of an events ConfigMap shard (only when its content changes).',
      registers: [registry],
    }),
    configuredEvents: new Gauge({
      name: 'rediclaim_operator_configured_events',
      help: 'Events rendered into the events ConfigMaps (all shards).',
      registers: [registry],
    }),
    configWrittenBytes: new Counter({
      name: 'rediclaim_operator_config_written_bytes_total',
      help: 'Bytes of events ConfigMap shards written (what the API server and every gate parse).',
      registers: [registry],
    }),
    configShardBytes: new Gauge({
      name: 'rediclaim_operator_config_shard_bytes',
      help: 'Size of each events ConfigMap shard as rendered (the API server refuses ~1 MiB).',
      labelNames: ['shard'] as const,
      registers: [registry],
    }),
    configShardFullEvents: new Gauge({
      name: 'rediclaim_operator_config_shard_full_events',
      help: 'Accepted events left out of the config because their shard is full.',
      registers: [registry],
    }),
    issuerDesiredReplicas: new Gauge({
      name: 'rediclaim_operator_issuer_desired_replicas',
      help: 'Issuer replicas the open events need, clamped to the platform bounds.',
      registers: [registry],
    }),
    couponEvents: new Gauge({
      name: 'rediclaim_operator_couponevents',
      help: 'CouponEvents watched, by the phase in their status.',
      labelNames: ['phase'] as const,
      registers: [registry],
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const event of couponEvents()) {
          const phase = event.status?.phase ?? 'Unknown';
          counts.set(phase, (counts.get(phase) ?? 0) + 1);
        }
        for (const [phase, n] of counts) this.set({ phase }, n);
      },
    }),
    /** The CouponEvents the per-event gauges describe: the informer's cache. */
    setCouponEventSource(source: () => readonly CouponEvent[]) {
      couponEvents = source;
    },
    gateErrors: new Counter({
      name: 'rediclaim_operator_gate_errors_total',
      help: "Failed calls to the gate's internal API.",
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
    kafkaErrors: new Counter({
      name: 'rediclaim_operator_kafka_errors_total',
      help: 'Failed attempts to ensure the Kafka topics and their partitions.',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
