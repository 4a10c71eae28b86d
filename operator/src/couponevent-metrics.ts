import { ConditionType, eventIdOf, type CouponEvent } from '@rediclaim/core';
import { Gauge, type Registry } from 'prom-client';

const objectLabels = ['namespace', 'name', 'tenant', 'event'] as const;
type ObjectLabel = (typeof objectLabels)[number];

/** `tenant` and `event` as the gate and issuer label their series: join on them. */
function labelsOf(event: CouponEvent): Record<ObjectLabel, string> {
  const namespace = event.metadata.namespace ?? '';
  return { namespace, name: event.metadata.name ?? '', tenant: namespace, event: eventIdOf(event) };
}

function unixSeconds(time: string | undefined): number | undefined {
  const ms = time === undefined ? NaN : Date.parse(time);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

function condition(event: CouponEvent, type: string) {
  return event.status?.conditions?.find((c) => c.type === type);
}

/** Ready True, judged against the generation the object has now (not an older one). */
function isReady(event: CouponEvent): boolean {
  const ready = condition(event, ConditionType.Ready);
  const judged = ready?.observedGeneration ?? event.status?.observedGeneration;
  return ready?.status === 'True' && judged === event.metadata.generation;
}

/** One gauge per CouponEvent; `undefined` leaves that event's series out. */
const perEvent: [name: string, help: string, value: (e: CouponEvent) => number | undefined][] = [
  [
    'rediclaim_couponevent_stock',
    'The stock the platform works with: spec.coupon.stock of the last accepted generation (status.stock).',
    (e) => e.status?.stock,
  ],
  [
    'rediclaim_couponevent_issued',
    'Coupons issued (status.counts).',
    (e) => e.status?.counts?.issued,
  ],
  [
    'rediclaim_couponevent_remaining',
    'Stock not yet issued (status.counts).',
    (e) => e.status?.counts?.remaining,
  ],
  [
    'rediclaim_couponevent_waiting',
    'Shoppers in the queue (status.counts).',
    (e) => e.status?.counts?.waiting,
  ],
  [
    'rediclaim_couponevent_processing',
    'Shoppers admitted and waiting for the issuer (status.counts).',
    (e) => e.status?.counts?.processing,
  ],
  [
    'rediclaim_couponevent_redeemed',
    'Coupons redeemed at the shop and not released (status.counts, when the gate reports it).',
    (e) => e.status?.counts?.redeemed,
  ],
  [
    'rediclaim_couponevent_opens_timestamp_seconds',
    'When the event opens (spec.schedule.opensAt), Unix seconds.',
    (e) => unixSeconds(e.spec.schedule?.opensAt),
  ],
  [
    'rediclaim_couponevent_sold_out_timestamp_seconds',
    'When the event sold out (the SoldOut condition became True), Unix seconds; absent while it is not.',
    (e) => {
      const soldOut = condition(e, ConditionType.SoldOut);
      return soldOut?.status === 'True' ? unixSeconds(soldOut.lastTransitionTime) : undefined;
    },
  ],
  [
    'rediclaim_couponevent_ready',
    '1 when the Ready condition is True for the current generation, else 0.',
    (e) => (isReady(e) ? 1 : 0),
  ],
];

/**
 * kube-state-metrics for CouponEvents: series per object from the informer's cache,
 * computed at scrape time, so a deleted event's series are gone at the next scrape.
 * Every replica exports them (followers' caches are as current as the leader's): they
 * describe the objects, not this replica's work; deduplicate with `max without (pod)`.
 */
export function registerCouponEventMetrics(
  registry: Registry,
  events: () => readonly CouponEvent[],
): void {
  const registers = [registry];
  new Gauge({
    name: 'rediclaim_couponevent_info',
    help: 'One series per CouponEvent, always 1; `phase` is status.phase (Unknown before the first status).',
    labelNames: [...objectLabels, 'phase'],
    registers,
    collect() {
      this.reset();
      for (const e of events())
        this.set({ ...labelsOf(e), phase: e.status?.phase ?? 'Unknown' }, 1);
    },
  });
  for (const [name, help, value] of perEvent)
    new Gauge({
      name,
      help,
      labelNames: objectLabels,
      registers,
      collect() {
        this.reset();
        for (const e of events()) {
          const v = value(e);
          if (v !== undefined) this.set(labelsOf(e), v);
        }
      },
    });
}
