import { z } from 'zod';
import { ErrorCode, RediclaimError } from '@rediclaim/core';

/** The request header a join carries its solved challenge in. */
export const POW_HEADER = 'x-pow-solution';

/** The longest header read: a solution is ~400 characters; anything far longer is not one. */
const MAX_HEADER_LENGTH = 2048;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits');

/**
 * An ALTCHA (v1) payload as the page's worker and altcha-lib's solveChallenge produce it,
 * base64 of JSON: the challenge as issued plus the number found. Only SHA-256 is
 * accepted, whatever the payload names: the gate issues nothing else.
 */
export const powPayloadSchema = z.object({
  algorithm: z.literal('SHA-256'),
  challenge: hex64,
  number: z.int().min(0).max(100_000_000),
  salt: z.string().min(1).max(512),
  signature: hex64,
  took: z.number().optional(),
});
export type PowPayload = z.output<typeof powPayloadSchema>;

/** The header's payload, or VALIDATION_FAILED (400) saying what is wrong with it. */
export function parseSolutionHeader(header: string): PowPayload {
  const refuse = (why: string) =>
    new RediclaimError(
      ErrorCode.ValidationFailed,
      `headers.${POW_HEADER}: ${why} (base64 of the JSON {algorithm, challenge, number, salt, signature})`,
    );
  if (header.length > MAX_HEADER_LENGTH) throw refuse('is too long');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
  } catch {
    throw refuse('is not base64 of JSON');
  }
  const result = powPayloadSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw refuse(`${issue.path.join('.') || 'payload'} ${issue.message}`);
  }
  return result.data;
}
