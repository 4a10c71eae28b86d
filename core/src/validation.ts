import type { z } from 'zod';
import { ErrorCode, RediclaimError } from './errors.js';

/** One problem found in some input: where (a dotted path) and why, for a person. */
export interface Problem {
  path: string;
  message: string;
}

/** "spec.coupon.stock", "events[2].id": the path people know from kubectl and YAML. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

const typeNames: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'number' && !Number.isInteger(input)) return `${input}`;
  return typeof input === 'object' ? 'an object' : `${typeof input} ${JSON.stringify(input)}`;
}

function unitOf(origin: string | undefined, n: number | bigint): string {
  if (origin === 'string') return Number(n) === 1 ? ' character' : ' characters';
  if (origin === 'array' || origin === 'set') return Number(n) === 1 ? ' item' : ' items';
  return '';
}

/**
 * Zod's default messages ("Too small: expected number to be >=1") speak to
 * programmers; these speak to the person who wrote the YAML or sent the request.
 * Messages a schema sets itself take precedence over this map.
 */
export const humanErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${typeNames[issue.expected] ?? issue.expected}, not ${describeInput(issue.input)}`;
    case 'too_small': {
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must not be empty';
      const bound = issue.inclusive === false ? 'more than' : 'at least';
      return `must be ${bound} ${issue.minimum}${unitOf(issue.origin, issue.minimum)}`;
    }
    case 'too_big': {
      const bound = issue.inclusive === false ? 'less than' : 'at most';
      return `must be ${bound} ${issue.maximum}${unitOf(issue.origin, issue.maximum)}`;
    }
    case 'invalid_format':
      if (issue.format === 'datetime')
        return 'must be an RFC 3339 date-time with a zone, like 2026-11-27T09:00:00Z';
      if (issue.format === 'regex' && 'pattern' in issue)
        return `must match ${String(issue.pattern)}`;
      return `must be a valid ${issue.format}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `has unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    default:
      return undefined;
  }
};

export function problemsOf(error: z.ZodError, basePath: readonly PropertyKey[] = []): Problem[] {
  return error.issues.map((issue) => ({
    path: formatPath([...basePath, ...issue.path]) || '(root)',
    message: issue.message,
  }));
}

/** "spec.coupon.stock: must be at least 1; spec.schedule.opensAt: is required" */
export function describeProblems(problems: readonly Problem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** Parses with human messages; never throws. */
export function check<S extends z.ZodType>(
  schema: S,
  input: unknown,
  basePath: readonly PropertyKey[] = [],
): ParseResult<z.output<S>> {
  const result = schema.safeParse(input, { error: humanErrorMap });
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, problems: problemsOf(result.error, basePath) };
}

/**
 * Parses input or throws a VALIDATION_FAILED RediclaimError whose message names
 * every problem, e.g. `CouponEvent spec is invalid: coupon.stock: must be at least 1`.
 */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
  basePath: readonly PropertyKey[] = [],
): z.output<S> {
  const result = check(schema, input, basePath);
  if (result.ok) return result.value;
  throw new RediclaimError(
    ErrorCode.ValidationFailed,
    `${what} is invalid: ${describeProblems(result.problems)}`,
    {
      problems: result.problems,
    },
  );
}
