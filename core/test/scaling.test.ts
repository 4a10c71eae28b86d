import { describe, expect, it } from '@jest/globals';
import { desiredIssuerReplicas } from '@rediclaim/core';

const hints = (perReplicaThroughput: number, minReplicas = 1, maxReplicas = 8) => ({
  perReplicaThroughput,
  minReplicas,
  maxReplicas,
});

describe('issuer replicas', () => {
  it('sizes for the rate of each open event', () => {
    expect(
      desiredIssuerReplicas([{ dispatchPerSecond: 4500, issuer: hints(2000) }], {
        minReplicas: 1,
        maxReplicas: 10,
      }),
    ).toBe(3);
  });

  it('adds up the needs of several open events', () => {
    const open = [
      { dispatchPerSecond: 4000, issuer: hints(2000) },
      { dispatchPerSecond: 100, issuer: hints(2000) },
    ];
    expect(desiredIssuerReplicas(open, { minReplicas: 1, maxReplicas: 10 })).toBe(3);
  });

  it('respects an event’s own minimum and maximum', () => {
    expect(
      desiredIssuerReplicas([{ dispatchPerSecond: 10, issuer: hints(2000, 2) }], {
        minReplicas: 1,
        maxReplicas: 10,
      }),
    ).toBe(2);
    expect(
      desiredIssuerReplicas([{ dispatchPerSecond: 90000, issuer: hints(2000, 1, 4) }], {
        minReplicas: 1,
        maxReplicas: 10,
      }),
    ).toBe(4);
  });

  it('stays within the platform’s bounds, and falls to its minimum when nothing is open', () => {
    expect(
      desiredIssuerReplicas([{ dispatchPerSecond: 90000, issuer: hints(1000, 1, 100) }], {
        minReplicas: 1,
        maxReplicas: 6,
      }),
    ).toBe(6);
    expect(desiredIssuerReplicas([], { minReplicas: 1, maxReplicas: 6 })).toBe(1);
    expect(desiredIssuerReplicas([], { minReplicas: 0, maxReplicas: 6 })).toBe(0);
  });
});
