import { z } from 'zod';

/** A message nobody could process, kept with the reason so nothing is silently dropped. Version 1. */
export const deadLetterSchema = z.object({
  type: z.literal('DeadLetter'),
  version: z.literal(1),
  reason: z.object({ code: z.string().min(1), message: z.string() }),
  source: z.object({
    topic: z.string(),
    partition: z.int().min(0),
    offset: z.string(),
    key: z.string().nullable(),
  }),
  /** The original bytes, as UTF-8 text when they are valid UTF-8, else base64. */
  payload: z.string(),
  payloadEncoding: z.enum(['utf8', 'base64']),
  service: z.string(),
  failedAt: z.iso.datetime({ offset: true }),
});
export type DeadLetter = z.output<typeof deadLetterSchema>;
