import { expect } from '@jest/globals';
import type { Response } from './client.js';

/** Asserts the project's error shape with this status and code; the body, for more checks. */
export function expectError(res: Response, status: number, code: string): Record<string, unknown> {
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });
  expect(typeof res.json().message).toBe('string');
  return res.json();
}
