import { describe, expect, it } from '@jest/globals';
import { CODE_ALPHABET, couponCode, couponCodes } from '@rediclaim/core';

const format = { prefix: 'BF-', length: 8 };

describe('coupon codes', () => {
  it('gives 200,000 serials 200,000 different codes of the configured shape', () => {
    const serials = Array.from({ length: 200_000 }, (_, i) => i + 1);
    const codes = couponCodes(format, 'secret', 'shop/bf', serials);
    expect(new Set(codes).size).toBe(serials.length);
    const shape = new RegExp(`^BF-[${CODE_ALPHABET}]{8}$`);
    expect(codes.every((c) => shape.test(c))).toBe(true);
  });

  it('is a permutation of the whole code space: no two serials ever share a code', () => {
    // With length 2 the space has 32^2 = 1024 codes: every serial maps to a distinct one.
    const all = Array.from({ length: 1024 }, (_, i) => i);
    const codes = couponCodes({ prefix: '', length: 2 } as never, 's', 'e', all);
    expect(new Set(codes).size).toBe(1024);
  });

  it('gives the same code for the same serial every time, so redelivery republishes the same code', () => {
    expect(couponCode(format, 'secret', 'shop/bf', 42)).toBe(
      couponCode(format, 'secret', 'shop/bf', 42),
    );
    expect(couponCodes(format, 'secret', 'shop/bf', [7, 42])[1]).toBe(
      couponCode(format, 'secret', 'shop/bf', 42),
    );
  });

  it('never changes the code of a serial between versions (known-answer vectors)', () => {
    // A redelivered request must re-derive the code already handed out, and codes
    // printed on receipts must stay valid: the permutation is frozen.
    expect(
      couponCodes({ prefix: 'BF-', length: 12 }, 'secret', 'shop/bf', [1, 2, 3, 1_000_000]),
    ).toEqual(['BF-HTWRD0NQEQ40', 'BF-Q083VG8BPHNN', 'BF-NQX5GCCBQR60', 'BF-ECAW63WRZ38T']);
    expect(couponCodes({ prefix: '', length: 9 }, 'secret', 'shop/bf', [1, 2])).toEqual([
      '65D93MD5Y',
      'VS774Y45D',
    ]);
    expect(couponCodes({ prefix: '', length: 16 }, 'secret', 'shop/bf', [1, 2])).toEqual([
      'WB80AWTDZKDDCESJ',
      '00CH6SP9XDWGQGKN',
    ]);
  });

  it('does not reveal the issue order: consecutive serials look unrelated', () => {
    const [a, b] = couponCodes(format, 'secret', 'shop/bf', [1000, 1001]);
    const shared = [...a!.slice(3)].filter((ch, i) => ch === b!.slice(3)[i]).length;
    expect(shared).toBeLessThan(4);
  });

  it('depends on the secret and the event, so other events and other installations get other codes', () => {
    const base = couponCode(format, 'secret', 'shop/bf', 1);
    expect(couponCode(format, 'other-secret', 'shop/bf', 1)).not.toBe(base);
    expect(couponCode(format, 'secret', 'shop/cm', 1)).not.toBe(base);
  });

  it('refuses a serial outside the code space instead of wrapping into a collision', () => {
    expect(() => couponCode({ prefix: '', length: 2 } as never, 's', 'e', 1024)).toThrow(
      RangeError,
    );
    expect(() => couponCode(format, 's', 'e', -1)).toThrow(RangeError);
  });

  it('uses only Crockford base32 characters, which cannot be misread as each other', () => {
    expect(CODE_ALPHABET).toHaveLength(32);
    expect(CODE_ALPHABET).not.toMatch(/[ILOU]/);
  });
});
