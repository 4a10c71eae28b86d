import { describe, expect, it } from '@jest/globals';
import { distinctRequests, groupByEvent } from '@rediclaim/issuer';
import { policy, request } from './support/requests.js';

describe('grouping a batch', () => {
  const p = policy();

  it('groups requests by tenant and event, keeping message order in each group', () => {
    const batch = [
      request('t1', 'a', 'u1', 3, p),
      request('t1', 'b', 'u1', 1, p),
      request('t2', 'a', 'u2', 1, p),
      request('t1', 'a', 'u2', 1, p),
    ];
    const groups = groupByEvent(batch);
    expect(groups.map((g) => g.key)).toEqual(['t1/a', 't1/b', 't2/a']);
    expect(groups[0]!.requests.map((r) => r.userId)).toEqual(['u1', 'u2']);
  });

  it('keeps the first delivery of a request delivered twice', () => {
    const first = request('t', 'e', 'u1', 1, p);
    const again = { ...request('t', 'e', 'u1', 1, policy({ generation: 2 })) };
    const other = request('t', 'e', 'u2', 2, p);
    expect(distinctRequests([first, other, again])).toEqual([first, other]);
  });
});
