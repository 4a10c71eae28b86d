import { describe, expect, it } from '@jest/globals';
import { describeValidation } from '@rediclaim/core';

describe('validation messages', () => {
  it("speaks with core's words about shopper and event ids", () => {
    expect(
      describeValidation(
        [
          {
            instancePath: '/userId',
            keyword: 'pattern',
            params: {},
            message: 'must match pattern "^…$"',
          },
        ],
        'querystring',
        { userId: 'a b' },
      ),
    ).toBe('querystring.userId: may contain only letters, digits and . _ @ : + = -');
    expect(
      describeValidation(
        [{ instancePath: '', keyword: 'required', params: { missingProperty: 'userId' } }],
        'querystring',
        {},
      ),
    ).toBe('querystring.userId: is required');
  });
});
