import type { WorkQueue } from '../../runtime/work-queue.js';

/** The platform's one key in its queue: there is one platform, so it only says "render". */
const RENDER = 'render';
/** Renders that write run at most this often. */
const MIN_INTERVAL_MS = 25;
/**
 * A token bucket of ConfigMap bytes: writes may take BURST_BYTES at once, and
 * BYTES_PER_SECOND on average. Each write is decoded by the API server, kept by etcd
 * (every revision, until compaction) and parsed by every gate; a burst of applies over
 * many tenants touches every shard (each up to ~900 KiB), so past the budget renders
 * wait longer and a burst becomes a few large writes instead of a storm, while a lone
 * apply finds the bucket full and is written at once.
 */
const BURST_BYTES = 8 * 1024 * 1024;
const BYTES_PER_SECOND = 4 * 1024 * 1024;
/** During a term's first pass, renders still run this often, to show progress. */
const FIRST_PASS_RENDER_MS = 2_000;

/**
 * When the platform renders. A render that wrote holds the next one back by
 * MIN_INTERVAL_MS, or until the byte budget has room again: a burst (a cold start, a
 * `kubectl apply` of many events) becomes a few renders of the whole set rather than one
 * per event, while a lone change still renders at once (a render that wrote nothing
 * holds nothing back). During a term's first pass over every event they wait for its
 * end: 500 events are a few renders, not 500. Once per `verifyEveryMs` a render reads the ConfigMap back first, to
 * repair drift; otherwise it trusts what it last wrote, so an apply reaches the gate in
 * one request.
 */
export class RenderCadence {
  private lastRenderAt = 0;
  /** A render that wrote sets when the next may start. */
  private nextRenderAt = 0;
  private tokens = BURST_BYTES;
  private tokensAt = Date.now();
  private lastVerifyAt = 0;
  private verifyNext = true;
  /** Events not yet reconciled in this term's first pass. */
  private readonly firstPass = new Set<string>();
  private heldBack = false;

  constructor(
    private readonly queue: WorkQueue,
    private readonly verifyEveryMs: number,
  ) {}

  request(): void {
    if (this.firstPass.size > 0 && Date.now() - this.lastRenderAt < FIRST_PASS_RENDER_MS) {
      this.heldBack = true;
      return;
    }
    const wait = this.nextRenderAt - Date.now();
    if (wait > 0) this.queue.addAfter(RENDER, wait);
    else this.queue.add(RENDER);
  }

  /** Renders now, reading the ConfigMap back first. */
  resync(): void {
    this.verifyNext = true;
    this.queue.add(RENDER);
  }

  /** A term starts: requests wait until each of these events has been reconciled once. */
  startFirstPass(keys: Iterable<string>): void {
    for (const key of keys) this.firstPass.add(key);
    this.lastRenderAt = Date.now();
  }

  /** An event's reconcile ended; the first pass's last one runs the render held back. */
  reconciled(key: string): void {
    if (this.firstPass.delete(key) && this.firstPass.size === 0 && this.heldBack) {
      this.heldBack = false;
      this.queue.add(RENDER);
    }
  }

  /** A render starts; returns whether it reads the ConfigMap back first. */
  begin(): boolean {
    const now = Date.now();
    const verify = this.verifyNext || now - this.lastVerifyAt >= this.verifyEveryMs;
    this.verifyNext = false;
    if (verify) this.lastVerifyAt = now;
    this.lastRenderAt = now;
    return verify;
  }

  /**
   * The render begun last wrote `bytes` (0: nothing changed) after `tookMs` of our own
   * time (planning and rendering): the next one waits at least twice that, so rendering
   * 10,000 events never takes more than a third of the operator's time.
   */
  wrote(bytes: number, tookMs = 0): void {
    if (bytes === 0) return;
    const now = Date.now();
    this.tokens = Math.min(
      BURST_BYTES,
      this.tokens + ((now - this.tokensAt) * BYTES_PER_SECOND) / 1000,
    );
    this.tokensAt = now;
    this.tokens -= bytes;
    const refill = this.tokens < 0 ? (-this.tokens * 1000) / BYTES_PER_SECOND : 0;
    this.nextRenderAt = Math.max(
      this.lastRenderAt + Math.max(MIN_INTERVAL_MS, 2 * tookMs),
      now + refill,
    );
  }

  /** A render failed: the next one trusts nothing it remembers of the ConfigMap. */
  failed(): void {
    this.verifyNext = true;
  }
}
