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
import { invalidCases, validSpec } from './support/fixtures.js';
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
});
