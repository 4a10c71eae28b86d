import type { EventConfigInput } from '@rediclaim/core';

type ProofOfWorkInput = NonNullable<EventConfigInput['admission']['proofOfWork']>;

const iso = (ms: number) => new Date(ms).toISOString();

export interface EventOptions {
  tenant?: string;
  rate?: number;
  stock?: number;
  perUserLimit?: number;
  mode?: 'fifo' | 'paused';
  maxQueueLength?: number;
  processingTimeoutSeconds?: number;
  retentionSeconds?: number;
  /** Relative to now (ms): negative = in the past. */
  opensInMs?: number;
  closesInMs?: number;
  preQueueInMs?: number;
  uid?: string;
  generation?: number;
  /** spec.admission.proofOfWork (default: off). */
  proofOfWork?: ProofOfWorkInput;
}

/** One event of an events config (the shape the operator renders), open by default. */
export function eventConfig(id: string, o: EventOptions = {}): EventConfigInput {
  const now = Date.now();
  return {
    id,
    tenant: o.tenant ?? 'shop',
    ...(o.uid ? { uid: o.uid } : {}),
    generation: o.generation ?? 1,
    displayName: `Event ${id}`,
    schedule: {
      opensAt: iso(now + (o.opensInMs ?? -60_000)),
      ...(o.closesInMs !== undefined ? { closesAt: iso(now + o.closesInMs) } : {}),
      ...(o.preQueueInMs !== undefined ? { preQueueOpensAt: iso(now + o.preQueueInMs) } : {}),
    },
    admission: {
      dispatchPerSecond: o.rate ?? 100,
      mode: o.mode ?? 'fifo',
      processingTimeoutSeconds: o.processingTimeoutSeconds ?? 30,
      maxQueueLength: o.maxQueueLength ?? 1_000_000,
      retentionSeconds: o.retentionSeconds ?? 3_600,
      ...(o.proofOfWork ? { proofOfWork: o.proofOfWork } : {}),
    },
    coupon: {
      stock: o.stock ?? 1_000,
      perUserLimit: o.perUserLimit ?? 1,
      validity: { validForHours: 24 },
      discount: { type: 'percent', percent: 10 },
    },
  };
}
