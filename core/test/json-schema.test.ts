import { describe, expect, it } from '@jest/globals';
import { errorJsonSchema, openApiComponentName } from '@rediclaim/core';

describe('OpenAPI component names', () => {
  it("are a shared schema's $id without the API's namespace", () => {
    expect(openApiComponentName(errorJsonSchema('rediclaim.gate.Error'), 0)).toBe('Error');
    expect(openApiComponentName({ $id: 'Coupon' }, 3)).toBe('Coupon');
  });

  it('fall back to the position of a schema that has no $id', () => {
    expect(openApiComponentName({}, 2)).toBe('def-2');
  });
});
