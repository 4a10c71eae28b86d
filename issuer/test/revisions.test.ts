import { describe, expect, it } from '@jest/globals';
import { judgeRevisions, newestPolicy, policiesByGeneration } from '@rediclaim/issuer';
import { policy, request } from './support/requests.js';

const state = (stock: number, issued: number, generation = 1) => ({
  generation,
  stock,
  issued,
  policy: policy({ stock, generation }),
});

describe('config generations carried by requests', () => {
  it('takes the first policy of each generation and finds the newest', () => {
    const g1 = policy({ generation: 1, stock: 5 });
    const g3 = policy({ generation: 3, stock: 9 });
    const byGeneration = policiesByGeneration([
      request('t', 'e', 'a', 1, g1),
      request('t', 'e', 'b', 2, g3),
      request('t', 'e', 'c', 3, policy({ generation: 1, stock: 777 })),
    ]);
    expect(byGeneration.get(1)!.stock).toBe(5);
    expect(newestPolicy(byGeneration)).toBe(g3);
  });

  it('applies a raised stock: the difference is added to what remains', () => {
    const judged = judgeRevisions(
      state(10, 10),
      new Map([[2, policy({ generation: 2, stock: 15 })]]),
    );
    expect(judged.state).toMatchObject({ generation: 2, stock: 15, issued: 10 });
    expect(judged.revisions).toEqual([
      expect.objectContaining({ generation: 2, outcome: 'APPLIED', stock: 15, previousStock: 10 }),
    ]);
    expect(judged.refused.size).toBe(0);
  });

  it('applies a lowered stock down to exactly what was issued', () => {
    const judged = judgeRevisions(
      state(10, 6),
      new Map([[2, policy({ generation: 2, stock: 6 })]]),
    );
    expect(judged.state.stock).toBe(6);
  });

  it('refuses a stock below what was issued and changes nothing', () => {
    const current = state(10, 6);
    const judged = judgeRevisions(current, new Map([[2, policy({ generation: 2, stock: 5 })]]));
    expect(judged.state).toBe(current);
    expect(judged.revisions).toEqual([
      expect.objectContaining({ generation: 2, outcome: 'REFUSED', stock: 5, issuedThen: 6 }),
    ]);
    expect([...judged.refused]).toEqual([[2, 5]]);
  });

  it('judges several newer generations oldest first, ignoring older ones', () => {
    const judged = judgeRevisions(
      state(10, 6, 3),
      new Map([
        [2, policy({ generation: 2, stock: 1 })],
        [5, policy({ generation: 5, stock: 4 })],
        [4, policy({ generation: 4, stock: 20 })],
      ]),
    );
    expect(judged.revisions.map((r) => [r.generation, r.outcome])).toEqual([
      [4, 'APPLIED'],
      [5, 'REFUSED'],
    ]);
    expect(judged.state).toMatchObject({ generation: 4, stock: 20 });
    expect([...judged.refused.keys()]).toEqual([5]);
  });

  it('forgets a refusal once a newer generation is applied after it', () => {
    const judged = judgeRevisions(
      state(10, 6),
      new Map([
        [2, policy({ generation: 2, stock: 3 })],
        [3, policy({ generation: 3, stock: 12 })],
      ]),
    );
    expect(judged.state.generation).toBe(3);
    expect(judged.refused.size).toBe(0);
  });
});
