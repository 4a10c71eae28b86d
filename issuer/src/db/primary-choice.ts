import { errorCode } from '../error-code.js';
import { endpointName, type Endpoint } from './mysql-hosts.js';

/** What one candidate said when asked whether it takes writes. */
export type Answer =
  { endpoint: Endpoint; writable: boolean } | { endpoint: Endpoint; error: unknown };

/** No candidate takes writes: the primary died and none was promoted yet, or all are fenced. */
export class NoPrimaryError extends Error {
  readonly code = 'MYSQL_NO_PRIMARY';
}

/** More than one candidate takes writes: a split brain, which only fencing resolves. */
export class SeveralPrimariesError extends Error {
  readonly code = 'MYSQL_SEVERAL_PRIMARIES';
}

/**
 * The one server that takes writes (read_only off), or an error saying why there is
 * none. Two writable servers are refused, not chosen between: each would take writes
 * the other never sees (an old primary back from the dead, a promotion that did not
 * fence it), and issuing on either could sell the same stock twice.
 */
export function choosePrimary(answers: readonly Answer[]): Endpoint {
  const writable = answers.filter((a) => 'writable' in a && a.writable).map((a) => a.endpoint);
  if (writable.length === 1) return writable[0]!;
  if (writable.length > 1)
    throw new SeveralPrimariesError(
      `${writable.map(endpointName).join(' and ')} all take writes (read_only off): the issuer writes to none of them until all but one are read-only`,
    );
  throw new NoPrimaryError(`no server takes writes (${answers.map(describe).join('; ')})`);
}

function describe(answer: Answer): string {
  const name = endpointName(answer.endpoint);
  return 'error' in answer ? `${name}: ${errorCode(answer.error)}` : `${name}: read-only`;
}
