import { describe, expect, it } from '@jest/globals';
import { errorCode } from '@rediclaim/issuer';

describe('naming errors for metrics and logs', () => {
  it('names errors by their driver code', () => {
    expect(errorCode(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(errorCode(Object.assign(new Error('x'), { code: 'ER_LOCK_DEADLOCK' }))).toBe(
      'ER_LOCK_DEADLOCK',
    );
    expect(errorCode(new TypeError('x'))).toBe('TypeError');
    expect(errorCode('text')).toBe('UNKNOWN');
  });
});
