import { describe, expect, it } from '@jest/globals';
import { relayLockName } from '@rediclaim/issuer';

describe('the relay lock', () => {
  it("is named after the database, named locks being the whole server's", () => {
    expect(relayLockName('rediclaim')).toBe('rediclaim.outbox-relay.rediclaim');
    expect(relayLockName('a')).not.toBe(relayLockName('b'));
  });

  it("hashes a database name too long for MySQL's 64 characters, keeping them apart", () => {
    const long = (c: string) => `${'d'.repeat(50)}${c}`;
    expect(relayLockName(long('1'))).toHaveLength(64);
    expect(relayLockName(long('1'))).toMatch(/^rediclaim\.outbox-relay\.[0-9a-f]{41}$/);
    expect(relayLockName(long('1'))).not.toBe(relayLockName(long('2')));
  });
});
