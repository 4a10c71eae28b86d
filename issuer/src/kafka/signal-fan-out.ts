/**
 * Many waits on one long-lived signal (the issuer's stopping, its shutdown deadline)
 * without one listener each: the signal gets a single listener, which aborts the
 * controllers of the waits in hand. A dozen partitions' batches wait at once, each on
 * several events, and Node before 24 warned (MaxListenersExceededWarning) past ten
 * listeners on one AbortSignal; a listener per wait is also a list that grows with the
 * load. `take()` a controller for a wait, `release()` it when the wait is over.
 */
export class SignalFanOut {
  private readonly inHand = new Set<AbortController>();

  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener(
      'abort',
      () => {
        for (const controller of this.inHand) controller.abort(signal.reason);
      },
      { once: true },
    );
  }

  /** A controller aborted with the signal (at once if it already is), or by its holder. */
  take(): AbortController {
    const controller = new AbortController();
    if (this.signal.aborted) controller.abort(this.signal.reason);
    else this.inHand.add(controller);
    return controller;
  }

  release(controller: AbortController): void {
    this.inHand.delete(controller);
  }

  /** Waits in hand (for tests and the curious). */
  get size(): number {
    return this.inHand.size;
  }
}
