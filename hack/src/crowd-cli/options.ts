import { parseArgs } from 'node:util';
import { z } from 'zod';
import { eventIdSchema, userIdSchema } from '@rediclaim/core';
import { CrowdCliError, ExitCode } from './errors.js';

export const crowdUsage = `Usage: rediclaim-crowd --gate URL --event ID [options]

Sends a crowd of shoppers through a rediclaim gate: each joins the queue and follows its
pushed status until it learns the outcome (ISSUED with a code, SOLD_OUT, ...), as the
waiting-room page does (polling where the gate refuses a stream, or with --poll).
Prints a progress line a second, then the summary and the checks; exits 0 when every
shopper learned the outcome and every check held, 1 when not, 2 on bad options, 3 when
the crowd could not start (gate unreachable, event unknown, closed, or too late).

  --gate URL          the gate's base URL, e.g. http://rediclaim-gate.rediclaim.svc
                      (repeat it, or give a comma list, to spread shoppers over gates)
  --event ID          the event id (the CouponEvent's spec.eventId)
  --users N           shoppers in the crowd (default 1000)
  --arrival SHAPE     spread    evenly over --seconds (default 10)
                      spike     each at a random instant of --seconds (default 1)
                      prequeue  everyone joins in the pre-queue, before the sale opens
                                (needs spec.schedule.preQueueOpensAt), then waits for
                                the opening; --seconds defaults to the time left, at most 10
                      spread and spike wait for the opening when the sale has not opened yet
  --seconds S         the arrival window, in seconds
  --user-prefix P     shopper ids are P0, P1, ... (default crowd-<time>-: a new crowd each run)
  --connections N     HTTP connections per gate (default 64)
  --api v1|seed       v1: POST /v1/events/ID/queue and GET .../queue/me (default);
                      seed: the seed's /gate/events/ID/enqueue and /rank
  --poll              v1: poll GET .../queue/me only; by default each shopper follows the
                      push stream (.../queue/me/stream) as the page does, and polls only
                      when the gate refuses it (past its stream limit)
  --timeout S         a shopper without an outcome after S seconds counts as lost (default 300)
  --expect-stock N    the stock of a fresh sale this crowd shops alone: fail when more than N
                      are ISSUED, or fewer than min(N, users)
  --json              print one JSON document on stdout (progress goes to stderr)
  -h, --help          this text`;

/** A whole number from the command line, within bounds. */
const whole = (min: number, max: number) =>
  z
    .string()
    .regex(/^\s*\d+\s*$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`);

const gateUrl = z
  .url({
    protocol: /^https?$/,
    error: 'must be an http:// or https:// URL, like http://127.0.0.1:8080',
  })
  .transform((u) => u.replace(/\/+$/, ''));

export const crowdOptionsSchema = z.object({
  gates: z
    .array(gateUrl)
    .min(1, 'is required: the URL of a gate, like --gate http://127.0.0.1:8080'),
  eventId: z
    .string({ error: 'is required: the event id (spec.eventId of the CouponEvent)' })
    .pipe(eventIdSchema),
  users: whole(1, 1_000_000).default(1_000),
  arrival: z
    .enum(['spread', 'spike', 'prequeue'], { error: 'must be spread, spike or prequeue' })
    .default('spread'),
  seconds: z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*$/, 'must be a number of seconds from 0 to 86400')
    .transform(Number)
    .refine((n) => n <= 86_400, 'must be a number of seconds from 0 to 86400')
    .optional(),
  userPrefix: z
    .string()
    .max(100, 'at most 100 characters')
    .regex(/^[A-Za-z0-9._@:+=-]*$/, 'may contain only letters, digits and . _ @ : + = -')
    .default(() => `crowd-${new Date().toISOString().replace(/\D/g, '').slice(2, 14)}-`),
  connections: whole(1, 10_000).default(64),
  api: z.enum(['v1', 'seed'], { error: 'must be v1 or seed' }).default('v1'),
  poll: z.boolean().default(false),
  timeoutSeconds: whole(1, 86_400).default(300),
  expectStock: whole(0, 100_000_000).optional(),
  json: z.boolean().default(false),
});

/** The option each field comes from, for messages. */
const flagOf: Record<string, string> = {
  gates: '--gate',
  eventId: '--event',
  users: '--users',
  arrival: '--arrival',
  seconds: '--seconds',
  userPrefix: '--user-prefix',
  connections: '--connections',
  api: '--api',
  poll: '--poll',
  timeoutSeconds: '--timeout',
  expectStock: '--expect-stock',
  json: '--json',
};

export type CrowdCliOptions = z.infer<typeof crowdOptionsSchema>;

/** The command line, checked; `help` when the person asked for the usage text. */
export function parseCrowdOptions(argv: string[]): CrowdCliOptions | 'help' {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        gate: { type: 'string', multiple: true },
        event: { type: 'string' },
        users: { type: 'string' },
        arrival: { type: 'string' },
        seconds: { type: 'string' },
        'user-prefix': { type: 'string' },
        connections: { type: 'string' },
        api: { type: 'string' },
        poll: { type: 'boolean' },
        timeout: { type: 'string' },
        'expect-stock': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    // node:util's words ("Unknown option '--user'") name the option already.
    throw new CrowdCliError((error as Error).message, ExitCode.Usage);
  }
  if (values.help) return 'help';
  const raw = {
    gates: ((values.gate as string[] | undefined) ?? [])
      .flatMap((g) => g.split(','))
      .map((g) => g.trim())
      .filter((g) => g !== ''),
    eventId: values.event,
    users: values.users,
    arrival: values.arrival,
    seconds: values.seconds,
    userPrefix: values['user-prefix'],
    connections: values.connections,
    api: values.api,
    poll: values.poll,
    timeoutSeconds: values.timeout,
    expectStock: values['expect-stock'],
    json: values.json,
  };
  const parsed = crowdOptionsSchema.safeParse(raw);
  if (!parsed.success)
    throw new CrowdCliError(
      parsed.error.issues
        .map((issue) => {
          const [field, index] = issue.path as [keyof typeof raw, number | undefined];
          const given = index !== undefined ? (raw[field] as string[])[index] : raw[field];
          const got = typeof given === 'string' ? ` (got "${given}")` : '';
          return `${flagOf[field] ?? String(field)}: ${issue.message}${got}`;
        })
        .join('\n'),
      ExitCode.Usage,
    );
  const options = parsed.data;
  // The longest id this crowd sends must still be a valid shopper id.
  const longest = `${options.userPrefix}${options.users - 1}`;
  if (!userIdSchema.safeParse(longest).success)
    throw new CrowdCliError(
      `--user-prefix: "${longest}" is not a valid shopper id (at most 128 characters)`,
      ExitCode.Usage,
    );
  return options;
}
