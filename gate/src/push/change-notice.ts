import { z } from 'zod';
import { check, describeProblems } from '@rediclaim/core';

/**
 * What one gate tells the others about an event on its pub/sub channel (EventKeys.changes):
 * enough for the replica holding a shopper's push stream to know whom to read again, never
 * the state itself (a notice can be lost; the stream's read is the truth).
 */
export interface ChangeNotice {
  /** Shoppers admitted (or their request sent again): PROCESSING now. */
  admitted?: string[];
  /** How many of them left the waiting line now: everyone still waiting moved up as many places. */
  movedUp?: number;
  /** Shoppers whose outcome was recorded. */
  decided?: string[];
  /** The issuer said the stock is gone: everyone still waiting is told SOLD_OUT. */
  soldOut?: boolean;
}

const userIds = z.array(z.string().min(1).max(256)).max(100_000);

const noticeSchema = z
  .object({
    admitted: userIds.optional(),
    movedUp: z.number().int().min(0).optional(),
    decided: userIds.optional(),
    soldOut: z.boolean().optional(),
  })
  .strict();

export function encodeChangeNotice(notice: ChangeNotice): string {
  return JSON.stringify(notice);
}

/** The notice, or an Error saying what is wrong with it (another version's gate, a stray publisher). */
export function decodeChangeNotice(text: string): ChangeNotice | Error {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return new Error(`change notice is not JSON: ${text.slice(0, 80)}`);
  }
  const parsed = check(noticeSchema, json);
  return parsed.ok
    ? parsed.value
    : new Error(`change notice refused: ${describeProblems(parsed.problems)}`);
}
