import { createRequire } from 'node:module';

interface RequestQueueLike {
  pending: unknown[];
  scheduleCheckPendingRequests(): void;
}

let patched = false;

/**
 * kafkajs 2.2.4 (the last release) re-arms a timer with a negative delay every time a
 * broker connection's request queue checks for pending requests, even when nothing is
 * pending: an endless setTimeout loop per connection, ~700 wake-ups a second each
 * (tulios/kafkajs#1556, #1604, #1704; fix proposed in #1667, never released). In the
 * gate that was the largest idle cost and several percent of a core under load.
 * The fix is #1667's: with nothing pending there is nothing to schedule; push()
 * schedules again when a request has to wait (in-flight limit or broker throttling).
 * Applied once, to the module instance kafkajs itself uses.
 */
export function fixKafkajsIdleLoop(): boolean {
  if (patched) return true;
  const require = createRequire(import.meta.url);
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueueLike;
  };
  const original = RequestQueue.prototype.scheduleCheckPendingRequests;
  if (typeof original !== 'function') return false;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueLike) {
    if (this.pending.length === 0) return;
    original.call(this);
  };
  patched = true;
  return true;
}
