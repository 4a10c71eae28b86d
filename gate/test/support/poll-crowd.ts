import { Phase } from '@rediclaim/core';
import type { LiveEvent } from '../../src/config/live-event.js';
import { processingView, waitingView } from '../../src/queue/status-views.js';

/**
 * A crowd that polls exactly as the gate tells it, against a model of one sale in
 * virtual time (no clock, no servers, deterministic): the dispatcher admits in ticket
 * order at the configured rate while stock is unclaimed, the issuer decides each
 * admission `decisionMs` later and issues every one, and each answer is the view the
 * gate's status-views build from what the status script would read at that moment. The
 * shoppers wait what pollAfterMs says plus up to 10 %, as the waiting-room page does.
 * It counts what polling costs: requests per shopper, when the last one knows, the
 * busiest second of polls.
 */
export interface CrowdSale {
  event: LiveEvent;
  shoppers: number;
  /** How the crowd comes: all in the pre-queue (its last poll there within 1.1 s before
   * the opening, in the order of their places), or joining at the opening, evenly over
   * `arrivalMs`. */
  arrival: { preQueued: true } | { arrivalMs: number };
  /** From an admission to its outcome recorded at the gate. */
  decisionMs: number;
  seed?: number;
}

export interface CrowdCost {
  /** HTTP requests per shopper: the join, or the last poll in the pre-queue, and every later one. */
  requestsPerShopper: number;
  /** When the last shopper learned their outcome, ms after the opening. */
  everyoneKnowsMs: number;
  /** When the last coupon was confirmed, ms after the opening. */
  soldOutMs: number;
  /** The most requests in one second, shoppers' first ones (join, first poll) left out. */
  peakPerSecond: number;
  issued: number;
  soldOut: number;
}

const HORIZON_MS = 600_000;
const TICKET_BASE = 2 ** 48;

/** mulberry32: a small seeded generator, so every run is the same crowd. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function simulateCrowd(sale: CrowdSale): CrowdCost {
  const { event, shoppers, decisionMs } = sale;
  const stock = event.stock;
  const msPerAdmission = 1000 / event.rate;
  const opensAt = Date.parse(event.config.schedule.opensAt);
  const rnd = random(sale.seed ?? 1);

  // Shopper i is admitted at i * msPerAdmission (when i < stock): the queue is never
  // empty in front of the dispatcher as long as arrivals outpace admission.
  const arrivalMs = 'arrivalMs' in sale.arrival ? sale.arrival.arrivalMs : 0;
  if (arrivalMs > 0 && shoppers / arrivalMs < 1 / msPerAdmission)
    throw new Error('the model needs arrivals faster than admission');
  const admittedAt = (i: number) => i * msPerAdmission;
  const admitted = (t: number) => Math.min(stock, Math.floor(t / msPerAdmission) + 1);
  const issued = (t: number) => (t < decisionMs ? 0 : admitted(t - decisionMs));
  const soldOutMs = admittedAt(stock - 1) + decisionMs;
  const lastAdmissionMs = admittedAt(stock - 1);

  const due: number[][] = [];
  const plan = (t: number, i: number) => {
    const slot = Math.ceil(t);
    if (slot >= HORIZON_MS) throw new Error(`shopper ${i} would wait past the horizon`);
    (due[slot] ??= []).push(i);
  };
  const perSecond = new Map<number, number>();
  let requests = 0;
  let everyoneKnowsMs = 0;
  let issuedCount = 0;
  let soldOutCount = 0;

  /** One request of shopper i at t; the next one planned unless the answer is final. */
  const asked = new Uint8Array(shoppers);
  const ask = (i: number, t: number, first: 'join' | 'preQueue' | undefined) => {
    requests++;
    if (first === 'preQueue') {
      asked[i] = 1;
      // Before the opening: nothing admitted, the place already the one at the opening.
      const place = { rank: i + 1, ticket: TICKET_BASE + i + 1, rate: '', rateAt: '' };
      const counts = { issued: 0, inflight: 0 };
      const view = waitingView(event, Phase.PreQueue, { ...place, ...counts }, opensAt + t);
      plan(t + view.pollAfterMs! * (1 + rnd() * 0.1), i);
      return;
    }
    if (asked[i]) {
      const second = Math.floor(t / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    }
    asked[i] = 1;
    let pollAfterMs: number | null;
    if (i < admitted(t)) {
      if (t >= admittedAt(i) + decisionMs) {
        issuedCount++;
        pollAfterMs = null;
      } else {
        const age = first === 'join' ? undefined : t - admittedAt(i);
        pollAfterMs = processingView(event, Phase.Open, age).pollAfterMs;
      }
    } else if (issued(t) >= stock) {
      soldOutCount++;
      pollAfterMs = null;
    } else {
      const admitting = t < lastAdmissionMs + 1000;
      const place = {
        rank: i - admitted(t) + 1,
        ticket: TICKET_BASE + i + 1,
        rate: admitting ? String(event.rate) : '0',
        rateAt: String(opensAt + t),
        issued: issued(t),
        inflight: admitted(t) - issued(t),
      };
      pollAfterMs = waitingView(event, Phase.Open, place, opensAt + t).pollAfterMs;
    }
    if (pollAfterMs === null) everyoneKnowsMs = Math.max(everyoneKnowsMs, t);
    else plan(t + pollAfterMs * (1 + rnd() * 0.1), i);
  };

  for (let i = 0; i < shoppers; i++) {
    if ('preQueued' in sale.arrival) ask(i, -rnd() * 1100, 'preQueue');
    else ask(i, (i * arrivalMs) / shoppers, 'join');
  }
  for (let slot = 0; slot < HORIZON_MS; slot++) {
    const list = due[slot];
    if (!list) continue;
    for (const i of list) ask(i, slot, undefined);
    due[slot] = [];
  }
  return {
    requestsPerShopper: requests / shoppers,
    everyoneKnowsMs,
    soldOutMs,
    peakPerSecond: Math.max(0, ...perSecond.values()),
    issued: issuedCount,
    soldOut: soldOutCount,
  };
}
