import { z } from 'zod';
import { ErrorCode, RediclaimError } from '../errors.js';
import { check, describeProblems } from '../validation.js';

/**
 * Building blocks for services' environment settings. Each service declares a zod
 * object whose keys are its variable names; loadEnvConfig reports every mistake at
 * start-up by variable name, e.g.
 * `gate settings are invalid: GATE_PORT: must be at most 65535; REDIS_URL: is required`.
 */
export const env = {
  port: () => z.coerce.number().int().min(1).max(65_535),
  int: (min: number, max: number) => z.coerce.number().int().min(min).max(max),
  number: (min: number, max: number) => z.coerce.number().min(min).max(max),
  bool: () =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  /** "a:9092, b:9092" → ["a:9092", "b:9092"] */
  list: () =>
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string()).min(1, 'must list at least one value')),
  url: (protocols: string[]) =>
    z.string().refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    ),
  logLevel: () =>
    z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

export function loadEnvConfig<S extends z.ZodType>(
  schema: S,
  source: Readonly<Record<string, string | undefined>>,
  service: string,
): z.output<S> {
  // An empty variable is a variable not set: `FOO=` in a manifest should mean the default.
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([, v]) => v !== undefined && v !== ''),
  );
  const result = check(schema, cleaned);
  if (result.ok) return result.value;
  throw new RediclaimError(
    ErrorCode.InvalidConfig,
    `${service} settings are invalid: ${describeProblems(result.problems)}`,
    {
      problems: result.problems,
    },
  );
}
