import { describe, expect, it } from '@jest/globals';
import {
  SIGNATURE_HEADER,
  TRACEPARENT_HEADER,
  signRecords,
  verifyRecord,
  type OutgoingRecord,
  type SigningKey,
} from '../src/index.js';

const key: SigningKey = { id: 'k1', secret: 's'.repeat(32) };
const next: SigningKey = { id: 'k2', secret: 'n'.repeat(32) };

describe('signRecords', () => {
  it('signs each record over its exact bytes and keeps the headers it had', () => {
    const records: OutgoingRecord[] = [
      { key: 'a', value: Buffer.from('{"x":1}'), headers: { [TRACEPARENT_HEADER]: 'tp' } },
      { key: 'b', value: Buffer.from('{"x":2}') },
    ];
    const signed = signRecords(records, key);
    expect(signed).toHaveLength(2);
    expect(signed[0]!.headers![TRACEPARENT_HEADER]).toBe('tp');
    for (const r of signed)
      expect(verifyRecord(r.value, r.headers![SIGNATURE_HEADER], [key]).id).toBe('k1');
    // A signature belongs to its record's bytes: swapped, neither verifies.
    expect(() =>
      verifyRecord(signed[1]!.value, signed[0]!.headers![SIGNATURE_HEADER], [key]),
    ).toThrow('does not match');
  });

  it('verifies under any key of the list, so a rotation adds the new key before it signs', () => {
    const [record] = signRecords([{ key: 'a', value: Buffer.from('v') }], next);
    expect(verifyRecord(record!.value, record!.headers![SIGNATURE_HEADER], [key, next]).id).toBe(
      'k2',
    );
    expect(() => verifyRecord(record!.value, record!.headers![SIGNATURE_HEADER], [key])).toThrow(
      'names key "k2"',
    );
  });
});
