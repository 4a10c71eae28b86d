import { describe, expect, it } from '@jest/globals';
import type { IssueRequest, IssueResult } from '@rediclaim/core';
import { AbandonedError, EventLanes, type LaneDecision } from '@rediclaim/issuer';
import { policy, request } from './support/requests.js';

const key = { tenant: 'shop', eventId: 'bf', uid: '' };
const p = policy();
const req = (user: string, ticket: number) => request('shop', 'bf', user, ticket, p);

/**
 * A decide function that answers every request ISSUED and records each call; the first
 * `failures` calls fail, and so does every call while `state.down` is set.
 */
function recorder(failures = 0) {
  const calls: string[][] = [];
  let failed = 0;
  const state = { down: false };
  const decide = async (
    _key: typeof key,
    requests: readonly IssueRequest[],
  ): Promise<LaneDecision> => {
    calls.push(requests.map((r) => r.requestId));
    if (failed < failures || state.down) {
      failed += 1;
      throw Object.assign(new Error('connection lost'), { code: 'PROTOCOL_CONNECTION_LOST' });
    }
    await new Promise((r) => setTimeout(r, 5));
    return {
      results: new Map(
        requests.map((r) => [
          r.requestId,
          { requestId: r.requestId, outcome: 'ISSUED' } as IssueResult,
        ]),
      ),
    };
  };
  return { calls, decide, state };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 1));
}

const options = { backoff: { baseMs: 1, capMs: 5 }, maxRequestsPerTransaction: 100 };

describe('event lanes', () => {
  it('decides batches that arrive together in one transaction, each getting its own results', async () => {
    const { calls, decide } = recorder();
    const lanes = new EventLanes(decide, options);
    const [a, b] = await Promise.all([
      lanes.submit(key, [req('u1', 1), req('u2', 2)]),
      lanes.submit(key, [req('u3', 3), req('u1', 1)]),
    ]);
    expect(calls).toEqual([['shop/bf/u1/1', 'shop/bf/u2/2', 'shop/bf/u3/3']]);
    expect([...a.keys()]).toEqual(['shop/bf/u1/1', 'shop/bf/u2/2']);
    expect([...b.keys()]).toEqual(['shop/bf/u3/3', 'shop/bf/u1/1']);
  });

  it('queues what arrives during a transaction for the next one', async () => {
    const { calls, decide } = recorder();
    const lanes = new EventLanes(decide, options);
    const first = lanes.submit(key, [req('u1', 1)]);
    await new Promise((r) => setTimeout(r, 1));
    await Promise.all([
      first,
      lanes.submit(key, [req('u2', 2)]),
      lanes.submit(key, [req('u3', 3)]),
    ]);
    expect(calls).toEqual([['shop/bf/u1/1'], ['shop/bf/u2/2', 'shop/bf/u3/3']]);
  });

  it('caps the requests of one transaction', async () => {
    const { calls, decide } = recorder();
    const lanes = new EventLanes(decide, { ...options, maxRequestsPerTransaction: 2 });
    await Promise.all([
      lanes.submit(key, [req('u1', 1), req('u2', 2)]),
      lanes.submit(key, [req('u3', 3)]),
    ]);
    expect(calls.map((c) => c.length)).toEqual([2, 1]);
  });

  it('retries a failed transaction with the same requests until it succeeds', async () => {
    const { calls, decide } = recorder(3);
    const failures: number[] = [];
    const lanes = new EventLanes(decide, {
      ...options,
      hooks: { failed: (_k, _e, attempt) => failures.push(attempt) },
    });
    const results = await lanes.submit(key, [req('u1', 1)]);
    expect(results.get('shop/bf/u1/1')!.outcome).toBe('ISSUED');
    expect(calls).toEqual(Array(4).fill(['shop/bf/u1/1']));
    expect(failures).toEqual([1, 2, 3]);
  });

  it('drops the requests of a caller that gave up from the next attempt', async () => {
    const { calls, decide, state } = recorder();
    state.down = true;
    const lanes = new EventLanes(decide, options);
    const giveUp = new AbortController();
    const abandoned = lanes.submit(key, [req('u1', 1)], giveUp.signal);
    const kept = lanes.submit(key, [req('u2', 2)]);
    await until(() => lanes.retrying(['shop/bf']));
    giveUp.abort();
    await expect(abandoned).rejects.toBeInstanceOf(AbandonedError);
    const failedAttempts = calls.length;
    state.down = false;
    await kept;
    expect(calls.slice(0, failedAttempts).every((c) => c.length === 2)).toBe(true);
    expect(calls.slice(failedAttempts)).toEqual(
      Array(calls.length - failedAttempts).fill(['shop/bf/u2/2']),
    );
  });

  it('abandons waiting batches when stopped, and takes no new ones', async () => {
    const { decide } = recorder(1_000);
    const lanes = new EventLanes(decide, options);
    const waiting = lanes.submit(key, [req('u1', 1)]);
    await new Promise((r) => setTimeout(r, 10));
    lanes.stop();
    await expect(waiting).rejects.toBeInstanceOf(AbandonedError);
    await expect(lanes.submit(key, [req('u2', 2)])).rejects.toBeInstanceOf(AbandonedError);
  });
});
