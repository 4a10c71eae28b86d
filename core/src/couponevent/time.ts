import { z } from 'zod';

/**
 * The times of a CouponEvent: RFC 3339 as the platform reads it, checked by one regex
 * that zod and the API server both apply. The API server's own `format: date-time` is
 * laxer (lower-case "t" and "z", offsets such as +24:00 or +99:99, a comma before the
 * fraction), so the CRD checks the string itself, with this regex and this message,
 * instead of declaring the format.
 *
 * Written with character classes only ([0-9], [.]), so the same source is a JavaScript
 * regex and an RE2 regex inside a CEL string literal. The calendar is checked too
 * (2026-02-29 is not a day), as `format: date-time` did.
 */
const day31 = '(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])';
const day30 = '(0[469]|11)-(0[1-9]|[12][0-9]|30)';
const dayFeb = '02-(0[1-9]|1[0-9]|2[0-8])';
const leapYear = '([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)';
const date = `([0-9]{4}-(${day31}|${day30}|${dayFeb})|${leapYear}-02-29)`;
const clock = '([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([.][0-9]+)?';
const offset = '(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])';

export const TIME_PATTERN = new RegExp(`^${date}T${clock}${offset}$`);

/** Longest time accepted; bounds the cost the API server estimates for the CEL rules. */
export const TIME_MAX_LENGTH = 40;

export const TIME_MESSAGE =
  'must be an RFC 3339 date-time such as 2026-11-27T00:00:00Z (upper-case T and Z, offsets up to ±23:59)';

/** CEL: whether the string at `path` is a time this module accepts. */
export function celIsTime(path: string): string {
  return `${path}.matches('${TIME_PATTERN.source}')`;
}

export function isTime(value: string): boolean {
  return value.length <= TIME_MAX_LENGTH && TIME_PATTERN.test(value);
}

/** A time of the spec: refused with TIME_MESSAGE by zod, and by the API server through CEL. */
export const timeSchema = z
  .string()
  .max(TIME_MAX_LENGTH)
  .refine((value) => TIME_PATTERN.test(value), {
    error: (issue) => `${TIME_MESSAGE}, not ${JSON.stringify(issue.input)}`,
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: celIsTime('self'),
        message: TIME_MESSAGE,
        messageExpression: `'${TIME_MESSAGE}, not "' + self + '"'`,
      },
    ],
  });

/**
 * An instant to the nanosecond, as CEL's `timestamp()` reads it (digits beyond the ninth
 * dropped), so zod and the API server agree about times less than a millisecond apart.
 */
function instant(time: string): [seconds: number, nanos: number] {
  const fraction = /[.]([0-9]+)/.exec(time)?.[1] ?? '';
  const whole = Date.parse(fraction ? time.replace(`.${fraction}`, '') : time);
  return [whole, Number(fraction.slice(0, 9).padEnd(9, '0'))];
}

/**
 * Whether `earlier` is before `later`. A rule about the order of two times judges only
 * times that are set and well formed: a malformed one is its own field's problem, and
 * saying "closesAt must be after opensAt" about it would send people the wrong way.
 */
export function isBefore(earlier: string | undefined, later: string | undefined): boolean {
  if (earlier === undefined || later === undefined || !isTime(earlier) || !isTime(later))
    return true;
  const [a, an] = instant(earlier);
  const [b, bn] = instant(later);
  return a < b || (a === b && an < bn);
}

/**
 * The same rule in CEL, over paths from the rule's object (`self.opensAt`). The guards
 * matter on the API server too: `timestamp()` of a malformed string fails the whole
 * object with a conversion error instead of the field's own message.
 */
export function celIsBefore(earlier: string, later: string): string {
  const guards = [earlier, later].flatMap((path) => [`!has(${path})`, `!${celIsTime(path)}`]);
  return [...guards, `timestamp(${earlier}) < timestamp(${later})`].join(' || ');
}
