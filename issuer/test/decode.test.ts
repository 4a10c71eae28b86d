import { describe, expect, it } from '@jest/globals';
import { ErrorCode, encodeMessage } from '@rediclaim/core';
import { decodeIssueRequest, decodeRequest, type Decoded } from '@rediclaim/issuer';
import { policy, request } from './support/requests.js';

const now = new Date('2026-11-27T00:00:00Z');
const decode = (value: Buffer | null, key: string | null = 'shop/e/u1'): Decoded =>
  decodeRequest(
    { key: key === null ? null : Buffer.from(key), value, offset: '42' },
    'req',
    3,
    now,
  );
const deadLetter = (decoded: Decoded) => {
  if (decoded.ok) throw new Error('expected a dead letter');
  return decoded.deadLetter;
};

describe('decoding issue requests', () => {
  const good = request('shop', 'e', 'u1', 7, policy());

  it('accepts a valid request, defaults applied', () => {
    const raw = JSON.parse(encodeMessage(good).toString()) as Record<string, unknown>;
    delete (raw.policy as Record<string, unknown>).perUserLimit;
    const decoded = decode(Buffer.from(JSON.stringify(raw)));
    expect(decoded.ok && decoded.request).toMatchObject({
      requestId: 'shop/e/u1/7',
      policy: { perUserLimit: 1, stock: 10 },
    });
  });

  it('validates each distinct policy once and shares the frozen result', () => {
    const a = decodeIssueRequest(
      encodeMessage(request('shop', 'e', 'u1', 1, policy({ stock: 99 }))),
    );
    const b = decodeIssueRequest(
      encodeMessage(request('shop', 'e', 'u2', 2, policy({ stock: 99 }))),
    );
    expect(a.policy).toBe(b.policy);
    expect(Object.isFrozen(a.policy.discount)).toBe(true);
  });

  it('turns malformed JSON into a dead letter that keeps the bytes and origin', () => {
    const letter = deadLetter(decode(Buffer.from('{"type":"IssueRequest",')));
    expect(letter).toMatchObject({
      type: 'DeadLetter',
      reason: { code: ErrorCode.InvalidMessage },
      source: { topic: 'req', partition: 3, offset: '42', key: 'shop/e/u1' },
      payload: '{"type":"IssueRequest",',
      payloadEncoding: 'utf8',
      service: 'rediclaim-issuer',
      failedAt: now.toISOString(),
    });
    expect(letter.reason.message).toMatch(/not UTF-8 JSON/);
  });

  it('names every field of the wrong shape, the policy snapshot included', () => {
    const raw = JSON.parse(encodeMessage(good).toString()) as Record<string, unknown>;
    raw.ticket = -1;
    (raw.policy as Record<string, unknown>).stock = 0;
    const letter = deadLetter(decode(Buffer.from(JSON.stringify(raw))));
    expect(letter.reason.code).toBe(ErrorCode.InvalidMessage);
    expect(letter.reason.message).toMatch(/ticket: must be at least 0/);
    expect(letter.reason.message).toMatch(/policy\.stock: must be at least 1/);
  });

  it('names a broken policy when the rest is fine', () => {
    const raw = JSON.parse(encodeMessage(good).toString()) as Record<string, unknown>;
    (raw.policy as Record<string, unknown>).perUserLimit = 0;
    expect(deadLetter(decode(Buffer.from(JSON.stringify(raw)))).reason.message).toMatch(
      /policy\.perUserLimit: must be at least 1/,
    );
  });

  it('refuses a version this build does not read', () => {
    const letter = deadLetter(decode(encodeMessage({ ...good, version: 2 })));
    expect(letter.reason.code).toBe(ErrorCode.UnsupportedMessageVersion);
  });

  it('keeps bytes that are not UTF-8 as base64', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const letter = deadLetter(decode(bytes));
    expect(letter.payloadEncoding).toBe('base64');
    expect(Buffer.from(letter.payload, 'base64')).toEqual(bytes);
  });

  it('refuses an empty message and a tombstone', () => {
    expect(deadLetter(decode(null, null)).reason.message).toMatch(/is empty/);
    expect(deadLetter(decode(Buffer.alloc(0))).source.key).toBe('shop/e/u1');
  });

  it('refuses a requestId that is not tenant/eventId/userId/ticket', () => {
    const letter = deadLetter(decode(encodeMessage({ ...good, requestId: 'something-else' })));
    expect(letter.reason.message).toMatch(/requestId: must be "shop\/e\/u1\/7"/);
  });
});
