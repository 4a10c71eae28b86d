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
    /**
     * Set when one item of a batch record was dead and the rest were processed: its
     * index in the record's `items` (the payload is then that item alone in a copy of
     * the record's header, so it can be produced again once fixed).
     */
    index: z.int().min(0).optional(),
  }),
  /** The original bytes, as UTF-8 text when they are valid UTF-8, else base64. */
  payload: z.string(),
  payloadEncoding: z.enum(['utf8', 'base64']),
  service: z.string(),
  failedAt: z.iso.datetime({ offset: true }),
});
export type DeadLetter = z.output<typeof deadLetterSchema>;
