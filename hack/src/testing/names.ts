import { randomBytes } from 'node:crypto';

/**
 * A name no other test suite (or earlier run) uses, so suites sharing one Redis,
 * database server, broker and API server never see each other's data. Lower-case
 * letters and digits only: valid as a namespace, a database and a topic name.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
