import type { WorkQueue } from '../../runtime/work-queue.js';

/** The platform's one key in its queue: there is one platform, so it only says "render". */
const RENDER = 'render';
/** Renders run at most this often. */
const MIN_INTERVAL_MS = 100;
/** During a term's first pass, renders still run this often, to show progress. */
const FIRST_PASS_RENDER_MS = 2_000;

/**
 * When the platform renders. Requests are rate-limited to one render per MIN_INTERVAL_MS:
 * a burst (a cold start, a `kubectl apply` of many events) becomes a few renders of the
 * whole set rather than one per event, while a lone change still renders at once. During
 * a term's first pass over every event they wait for its end: 500 events are a few
 * renders, not 500. Once per `verifyEveryMs` a render reads the ConfigMap back first, to
 * repair drift; otherwise it trusts what it last wrote, so an apply reaches the gate in
 * one request.
 */
export class RenderCadence {
  private lastRenderAt = 0;
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
    const wait = this.lastRenderAt + MIN_INTERVAL_MS - Date.now();
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

  /** A render failed: the next one trusts nothing it remembers of the ConfigMap. */
  failed(): void {
    this.verifyNext = true;
  }
}
