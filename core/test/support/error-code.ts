import type { RediclaimError } from '@rediclaim/core';

/** The RediclaimError code `fn` throws, or 'no error'. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as RediclaimError).code;
  }
  return 'no error';
}
