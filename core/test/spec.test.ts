import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as yaml from 'js-yaml';
import {
  check,
  couponEventSpecSchema,
  describeProblems,
  parseOrThrow,
  RediclaimError,
} from '@rediclaim/core';
import { invalidCases, laxTimes, timeFields, timeMessage, validSpec } from './support/fixtures.js';
import { repoRoot } from '@rediclaim/hack/testing';

describe('CouponEvent spec schema', () => {
  it('fills in the defaults people leave out', () => {
    const spec = parseOrThrow(couponEventSpecSchema, validSpec(), 'spec');
    expect(spec.admission).toEqual({
      dispatchPerSecond: 100,
      mode: 'fifo',
      processingTimeoutSeconds: 30,
      maxQueueLength: 1_000_000,
      retentionSeconds: 86_400,
      // Off unless asked for.
      proofOfWork: { enabled: false, difficulty: 100_000, challengeTtlSeconds: 120 },
    });
    expect(spec.coupon.perUserLimit).toBe(1);
    expect(spec.coupon.code).toEqual({ prefix: '', length: 12 });
    expect(spec.issuer).toEqual({ perReplicaThroughput: 2000, minReplicas: 1, maxReplicas: 4 });
  });

  it.each(readdirSync(path.join(repoRoot, 'crds/examples')))('accepts the example %s', (file) => {
    const doc = yaml.load(readFileSync(path.join(repoRoot, 'crds/examples', file), 'utf8')) as {
      spec: unknown;
    };
    const result = check(couponEventSpecSchema, doc.spec);
    expect(result.ok ? [] : result.problems).toEqual([]);
  });

  it.each(invalidCases)('rejects $name with a message naming the field', ({ spec, zod }) => {
    const result = check(couponEventSpecSchema, spec(validSpec() as never));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(describeProblems(result.problems)).toMatch(zod);
  });

  it('names every problem at once, not just the first', () => {
    const spec = validSpec();
    spec.coupon.stock = -5;
    spec.admission.dispatchPerSecond = 0;
    const result = check(couponEventSpecSchema, spec);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems.map((p) => p.path).sort()).toEqual([
        'admission.dispatchPerSecond',
        'coupon.stock',
      ]);
    }
  });

  it('says what type it wanted and what it got', () => {
    const spec = validSpec() as unknown as { coupon: { stock: unknown } };
    spec.coupon.stock = '1000';
    const result = check(couponEventSpecSchema, spec);
    expect(!result.ok && describeProblems(result.problems)).toBe(
      'coupon.stock: must be a number, not string "1000"',
    );
  });

  it('throws a RediclaimError with the code VALIDATION_FAILED and every problem in its details', () => {
    const spec = validSpec();
    spec.coupon.stock = 0;
    try {
      parseOrThrow(couponEventSpecSchema, spec, 'CouponEvent shop/sale', ['spec']);
      throw new Error('expected a validation error');
    } catch (error) {
      expect(error).toBeInstanceOf(RediclaimError);
      const e = error as RediclaimError;
      expect(e.code).toBe('VALIDATION_FAILED');
      expect(e.message).toBe(
        'CouponEvent shop/sale is invalid: spec.coupon.stock: must be at least 1',
      );
      expect(e.details).toEqual({
        problems: [{ path: 'spec.coupon.stock', message: 'must be at least 1' }],
      });
    }
  });

  describe.each(timeFields)('the time $path', ({ path, set }) => {
    it.each(laxTimes)('refuses %s naming the time itself, and only it', (value) => {
      const spec = validSpec();
      set(spec, value);
      const result = check(couponEventSpecSchema, spec);
      expect(!result.ok && describeProblems(result.problems)).toBe(
        `${path}: ${timeMessage}, not "${value}"`,
      );
    });
  });

  it('takes what RFC 3339 allows: fractions of any length, offsets, -00:00, 29 February of a leap year', () => {
    for (const opensAt of [
      '2028-02-29T00:00:00Z',
      '2026-11-27T09:00:00+09:00',
      '2026-11-27T00:00:00.123456789Z',
      '2026-11-27T00:00:00-00:00',
    ]) {
      const result = check(couponEventSpecSchema, {
        ...validSpec(),
        schedule: { opensAt, closesAt: '2028-12-01T00:00:00Z' },
      });
      expect(result.ok ? [] : result.problems).toEqual([]);
    }
    const spec = validSpec();
    spec.schedule.opensAt = '2026-02-29T00:00:00Z';
    expect(check(couponEventSpecSchema, spec).ok).toBe(false);
  });

  it('orders times to the nanosecond, as the API server does', () => {
    const ordered = (opensAt: string, closesAt: string) =>
      check(couponEventSpecSchema, { ...validSpec(), schedule: { opensAt, closesAt } }).ok;
    expect(ordered('2026-11-27T00:00:00.0001Z', '2026-11-27T00:00:00.0002Z')).toBe(true);
    expect(ordered('2026-11-27T00:00:00.0002Z', '2026-11-27T00:00:00.0001Z')).toBe(false);
    // Digits beyond the ninth are dropped, as Go's time parsing does.
    expect(ordered('2026-11-27T00:00:00.0000000001Z', '2026-11-27T00:00:00.0000000002Z')).toBe(
      false,
    );
    expect(ordered('2026-11-27T09:00:00+09:00', '2026-11-27T00:00:01Z')).toBe(true);
  });

  it('counts the characters of displayName as the API server does, so an emoji is one', () => {
    const spec = validSpec();
    spec.displayName = '🔥'.repeat(120);
    expect(check(couponEventSpecSchema, spec).ok).toBe(true);
    spec.displayName = '🔥'.repeat(121);
    const result = check(couponEventSpecSchema, spec);
    expect(!result.ok && describeProblems(result.problems)).toBe(
      'displayName: must be at most 120 characters',
    );
  });
});
