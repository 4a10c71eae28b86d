import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** client-go's ExponentialBuckets(10e-9, 10, 12): 10 ns to 1000 s. */
const QUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];

type QueueLabel = 'name' | 'controller';

const seconds = (sinceMs: number) => (performance.now() - sinceMs) / 1000;

/**
 * The bookkeeping of one queue's metrics, as client-go's defaultQueueMetrics does it: when
 * each waiting key was first added (time queued) and when each key being processed was
 * handed out (time worked, unfinished work). The queue calls it; it never changes the queue.
 */
export class QueueMetrics {
  private readonly addedAt = new Map<string, number>();
  /** Key → when a worker got it. Read at scrape time for the unfinished-work gauges. */
  readonly processingSince = new Map<string, number>();
  closed = false;

  constructor(
    private readonly families: WorkQueueMetrics,
    readonly labels: Record<QueueLabel, string>,
  ) {}

  /** A key started waiting (a repeat add of a waiting key is not one). */
  add(key: string): void {
    this.families.adds.inc(this.labels);
    this.families.depth.inc(this.labels);
    if (!this.addedAt.has(key)) this.addedAt.set(key, performance.now());
  }

  /** A worker got `key`. */
  get(key: string): void {
    this.families.depth.dec(this.labels);
    this.processingSince.set(key, performance.now());
    const added = this.addedAt.get(key);
    if (added === undefined) return;
    this.families.queueDuration.observe(this.labels, seconds(added));
    this.addedAt.delete(key);
  }

  /** The worker is done with `key`. */
  done(key: string): void {
    const since = this.processingSince.get(key);
    if (since === undefined) return;
    this.families.workDuration.observe(this.labels, seconds(since));
    this.processingSince.delete(key);
  }

  /** A key will be added after a delay (backoff or a requested requeue). */
  retry(): void {
    this.families.retries.inc(this.labels);
  }

  /** The queue shut down and dropped these waiting keys: they no longer count as depth. */
  shutdown(dropped: Iterable<string>): void {
    let count = 0;
    for (const key of dropped) {
      this.addedAt.delete(key);
      count += 1;
    }
    if (count > 0) this.families.depth.dec(this.labels, count);
    this.closed = true;
  }
}

/**
 * client-go's work queue metrics under its names (controller-runtime's
 * pkg/internal/metrics/workqueue.go), labelled {name, controller} with both set to the
 * controller's name as controller-runtime does. The unfinished-work gauges are computed at
 * scrape time from the queues alive then, where client-go updates them every 500 ms.
 */
export class WorkQueueMetrics {
  readonly depth: Gauge<QueueLabel>;
  readonly adds: Counter<QueueLabel>;
  readonly queueDuration: Histogram<QueueLabel>;
  readonly workDuration: Histogram<QueueLabel>;
  readonly retries: Counter<QueueLabel>;
  private readonly queues = new Set<QueueMetrics>();
  /** Every queue name seen: its gauges stay (at 0) between leadership terms. */
  private readonly names = new Set<string>();

  constructor(registry: Registry) {
    const labelNames = ['name', 'controller'] as const;
    const registers = [registry];
    this.depth = new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames,
      registers,
    });
    this.adds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames,
      registers,
    });
    this.queueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      buckets: QUEUE_BUCKETS,
      labelNames,
      registers,
    });
    this.workDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      buckets: QUEUE_BUCKETS,
      labelNames,
      registers,
    });
    this.retries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of items added to the workqueue with a non-zero delay (rate-limited requeues, explicit RequeueAfter or AddAfter calls)',
      labelNames,
      registers,
    });
    const processingAges = () => this.processingAges();
    const unfinished = (pick: (ages: number[]) => number) =>
      function (this: Gauge<QueueLabel>) {
        for (const [name, ages] of processingAges())
          this.set({ name, controller: name }, pick(ages));
      };
    new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
      labelNames,
      registers,
      collect: unfinished((ages) => ages.reduce((sum, age) => sum + age, 0)),
    });
    new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames,
      registers,
      collect: unfinished((ages) => Math.max(0, ...ages)),
    });
  }

  /** The metrics of a new queue named `name` (a term's queues replace the last term's). */
  forQueue(name: string): QueueMetrics {
    const queue = new QueueMetrics(this, { name, controller: name });
    this.queues.add(queue);
    this.names.add(name);
    // Present from the start, as client-go's are once its queue exists.
    this.depth.inc(queue.labels, 0);
    this.adds.inc(queue.labels, 0);
    this.retries.inc(queue.labels, 0);
    return queue;
  }

  /** Per queue name, how long each key being processed has been (seconds). */
  private processingAges(): Map<string, number[]> {
    const ages = new Map<string, number[]>([...this.names].map((name) => [name, []]));
    for (const queue of this.queues) {
      for (const since of queue.processingSince.values())
        ages.get(queue.labels.name)!.push(seconds(since));
      // A shut-down queue whose last reconcile ended is gone for good.
      if (queue.closed && queue.processingSince.size === 0) this.queues.delete(queue);
    }
    return ages;
  }
}
