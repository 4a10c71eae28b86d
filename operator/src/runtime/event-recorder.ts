import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { describeKubeError } from './kube/errors.js';
import { microTime } from './kube/time.js';

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  uid?: string;
}

export type EventType = 'Normal' | 'Warning';

interface Series {
  name: string;
  namespace: string;
  count: number;
  lastSeen: number;
  lastSent: number;
  /** Writes of one Event run in order (a patch never overtakes the create or a later count). */
  chain: Promise<void>;
}

const NOTE_MAX = 1024;

/**
 * Kubernetes Events (events.k8s.io/v1) about what a controller did and what went wrong,
 * shown by `kubectl describe` and `kubectl events`. A repeat of the same event (same
 * object, type, reason and note) within `isomorphicWindowMs` becomes a series on the
 * first one, patched at most once per `seriesIntervalMs`, as client-go's recorder does:
 * a reconcile that fails every few seconds must not flood etcd with Events.
 * Recording never throws and never blocks a reconcile: a failed write is logged.
 */
export class EventRecorder {
  private readonly series = new Map<string, Series>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly api: k8s.EventsV1Api,
    private readonly options: {
      controller: string;
      instance: string;
      logger: Logger;
      seriesIntervalMs?: number;
      isomorphicWindowMs?: number;
      maxTracked?: number;
    },
  ) {}

  record(
    regarding: ObjectReference,
    type: EventType,
    reason: string,
    action: string,
    note: string,
  ): void {
    const text = note.length > NOTE_MAX ? `${note.slice(0, NOTE_MAX - 1)}…` : note;
    const key = [regarding.namespace, regarding.name, regarding.uid, type, reason, text].join('\0');
    const now = Date.now();
    const windowMs = this.options.isomorphicWindowMs ?? 10 * 60_000;
    const existing = this.series.get(key);
    let work: Promise<void>;
    if (existing && now - existing.lastSeen < windowMs) {
      existing.count += 1;
      existing.lastSeen = now;
      if (now - existing.lastSent < (this.options.seriesIntervalMs ?? 60_000)) return;
      existing.lastSent = now;
      work = existing.chain = existing.chain.then(() => this.patchSeries(existing));
    } else {
      const entry: Series = {
        name: eventName(regarding.name),
        namespace: regarding.namespace,
        count: 1,
        lastSeen: now,
        lastSent: now,
        chain: Promise.resolve(),
      };
      this.series.delete(key);
      this.series.set(key, entry);
      this.trim();
      work = entry.chain = this.create(entry, regarding, type, reason, action, text);
    }
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Waits for Events being written (on shutdown, and in tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private trim(): void {
    const max = this.options.maxTracked ?? 4096;
    // Map iteration order is insertion order: the first entries are the oldest.
    for (const key of this.series.keys()) {
      if (this.series.size <= max) break;
      this.series.delete(key);
    }
  }

  private async create(
    entry: Series,
    regarding: ObjectReference,
    type: EventType,
    reason: string,
    action: string,
    note: string,
  ): Promise<void> {
    try {
      await this.api.createNamespacedEvent({
        namespace: entry.namespace,
        body: {
          metadata: { name: entry.name, namespace: entry.namespace },
          // MicroTime wants six fractional digits; the client would send three.
          eventTime: microTime() as unknown as Date,
          reportingController: this.options.controller,
          reportingInstance: this.options.instance,
          action,
          reason,
          note,
          type,
          regarding,
        },
      });
    } catch (error) {
      this.options.logger.warn(
        {
          err: describeKubeError(error),
          reason,
          regarding: `${regarding.namespace}/${regarding.name}`,
        },
        'could not record a Kubernetes Event',
      );
    }
  }

  private async patchSeries(entry: Series): Promise<void> {
    try {
      await this.api.patchNamespacedEvent(
        {
          namespace: entry.namespace,
          name: entry.name,
          // The count when the patch is sent: the latest, whatever was queued before.
          body: { series: { count: entry.count, lastObservedTime: microTime() } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    } catch (error) {
      this.options.logger.debug(
        { err: describeKubeError(error), event: entry.name },
        'could not update an Event series',
      );
    }
  }
}

/** `<object>.<16 hex>` like client-go, cut so the whole stays a valid name (≤ 253). */
function eventName(objectName: string): string {
  const suffix = `${Date.now().toString(16)}${randomBytes(3).toString('hex')}`;
  return `${objectName.slice(0, 253 - suffix.length - 1)}.${suffix}`;
}
