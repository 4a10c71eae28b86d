import { describe, expect, it } from '@jest/globals';
import {
  parseOrThrow,
  powDifficulty,
  powReplayTtlMs,
  powSpikeArgs,
  proofOfWorkSchema,
} from '@rediclaim/core';

describe('proof-of-work policy', () => {
  const withSpike = parseOrThrow(
    proofOfWorkSchema,
    { enabled: true, difficulty: 50_000, spike: { joinsPerSecond: 200, difficulty: 500_000 } },
    'proofOfWork',
  );
  const plain = parseOrThrow(proofOfWorkSchema, { enabled: true }, 'proofOfWork');

  it('fills in a spike hold of a minute and a challenge lifetime of two minutes', () => {
    expect(withSpike).toEqual({
      enabled: true,
      difficulty: 50_000,
      challengeTtlSeconds: 120,
      spike: { joinsPerSecond: 200, difficulty: 500_000, holdSeconds: 60 },
    });
    expect(plain.difficulty).toBe(100_000);
  });

  it('issues the base difficulty, and the spike one only while a spike lasts', () => {
    expect(powDifficulty(withSpike, false)).toBe(50_000);
    expect(powDifficulty(withSpike, true)).toBe(500_000);
    // An event without a spike rule never raises it, whatever Redis says.
    expect(powDifficulty(plain, true)).toBe(100_000);
  });

  it("gives spendPow.lua the spike's threshold and hold, or 0 without a spike rule", () => {
    expect(powSpikeArgs(withSpike)).toEqual({ threshold: 200, holdMs: 60_000 });
    expect(powSpikeArgs(plain)).toEqual({ threshold: 0, holdMs: 0 });
  });

  it('remembers a spent solution until its challenge expires, plus the clock skew', () => {
    const now = 1_000_000_000_000;
    expect(powReplayTtlMs(now / 1000 + 120, now)).toBe(150_000);
    expect(powReplayTtlMs(now / 1000 + 120, now, 0)).toBe(120_000);
    // Expired already (the verifier refuses it anyway): never a TTL Redis refuses.
    expect(powReplayTtlMs(now / 1000 - 600, now)).toBe(1);
  });
});
