import { describe, expect, it } from '@jest/globals';
import { ReadQueue } from '../../src/push/read-queue.js';

describe("the push hub's read queue", () => {
  it('gives its items back in the order they came, then undefined', () => {
    const q = new ReadQueue<number>();
    q.push(1);
    q.push(2);
    expect(q.shift()).toBe(1);
    q.push(3);
    expect([q.length, q.shift(), q.shift(), q.shift(), q.length]).toEqual([2, 2, 3, undefined, 0]);
  });

  it('keeps its order over reads that never quite catch up (the taken part is dropped)', () => {
    const q = new ReadQueue<number>();
    let next = 0;
    let expected = 0;
    // Two in, one out, 10,000 times: the front is compacted away as it grows.
    for (let i = 0; i < 10_000; i++) {
      q.push(next++);
      q.push(next++);
      expect(q.shift()).toBe(expected++);
    }
    expect(q.length).toBe(10_000);
    while (q.length > 0) expect(q.shift()).toBe(expected++);
    expect(expected).toBe(20_000);
  });
});
