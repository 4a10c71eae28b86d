import { describe, expect, it } from '@jest/globals';
import {
  ErrorCode,
  SIGNATURE_HEADER,
  TRACEPARENT_HEADER,
  encodeMessage,
  signRecord,
  type IssueRequest,
} from '@rediclaim/core';
import { decodeIssueRequest, decodeRecord, type DecodedRecord } from '@rediclaim/issuer';
import { SIGNING_KEY, batchRecordOf, policy, request } from './support/requests.js';

const now = new Date('2026-11-27T00:00:00Z');
const trust = { keys: [SIGNING_KEY], signatures: 'required' as const };
const headersOf = (value: Buffer | null) => ({
  [SIGNATURE_HEADER]: signRecord(value ?? Buffer.alloc(0), SIGNING_KEY),
});
// Signed by the gates' key: these cases are about what the record says.
const decode = (value: Buffer | null, key: string | null = 'shop/e/u1'): DecodedRecord =>
  decodeRecord(
    { key: key === null ? null : Buffer.from(key), value, offset: '42', headers: headersOf(value) },
    'req',
    3,
    now,
    trust,
  );
const deadLetter = (decoded: DecodedRecord) => {
  if (decoded.requests.length > 0 || decoded.deadLetters.length !== 1)
    throw new Error('expected one dead letter');
  return decoded.deadLetters[0]!;
};
const batchOf = (requests: IssueRequest[]): Buffer => batchRecordOf(requests).value;

describe('decoding issue requests', () => {
  const good = request('shop', 'e', 'u1', 7, policy());

  it('accepts a valid request, defaults applied', () => {
    const raw = JSON.parse(encodeMessage(good).toString()) as Record<string, unknown>;
    delete (raw.policy as Record<string, unknown>).perUserLimit;
    const decoded = decode(Buffer.from(JSON.stringify(raw)));
    expect(decoded.version).toBe(1);
    expect(decoded.requests[0]).toMatchObject({
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

  it('reads a v2 batch record: every shopper a request, the policy shared', () => {
    const p = policy({ stock: 50 });
    const decoded = decode(
      batchOf([request('shop', 'e', 'u1', 1, p), request('shop', 'e', 'u2', 2, p)]),
    );
    expect(decoded.version).toBe(2);
    expect(decoded.deadLetters).toEqual([]);
    expect(decoded.requests.map((r) => r.requestId)).toEqual(['shop/e/u1/1', 'shop/e/u2/2']);
    expect(decoded.requests[0]!.policy).toBe(decoded.requests[1]!.policy);
  });

  it('dead-letters a bad item of a batch alone, with its index, and reads the rest', () => {
    const p = policy();
    const raw = JSON.parse(
      batchOf([1, 2, 3, 4].map((i) => request('shop', 'e', `u${i}`, i, p))).toString(),
    ) as { items: Record<string, unknown>[] };
    raw.items[1]!.ticket = 'seven';
    raw.items[3]!.requestId = 'shop/e/someone-else/4';
    const decoded = decode(Buffer.from(JSON.stringify(raw)), 'shop/e/u1');
    expect(decoded.requests.map((r) => r.userId)).toEqual(['u1', 'u3']);
    expect(decoded.deadLetters.map((d) => d.source)).toEqual([
      { topic: 'req', partition: 3, offset: '42', key: 'shop/e/u1', index: 1 },
      { topic: 'req', partition: 3, offset: '42', key: 'shop/e/u1', index: 3 },
    ]);
    const [badShape, badId] = decoded.deadLetters;
    expect(badShape!.reason.message).toMatch(/item 1 is invalid: items\[1\]\.ticket/);
    expect(badId!.reason.message).toMatch(/requestId: must be "shop\/e\/u4\/4"/);
    // Each payload is the header with the dead item alone: a batch that can be sent again.
    const kept = JSON.parse(badShape!.payload) as { type: string; items: unknown[] };
    expect(kept.type).toBe('IssueRequestBatch');
    expect(kept.items).toEqual([raw.items[1]]);
  });

  it('dead-letters a whole batch whose header is bad, or whose version is newer', () => {
    const p = policy();
    const raw = JSON.parse(batchOf([request('shop', 'e', 'u1', 1, p)]).toString()) as Record<
      string,
      unknown
    >;
    const letter = deadLetter(decode(Buffer.from(JSON.stringify({ ...raw, eventId: '' }))));
    expect(letter.reason.message).toMatch(/eventId/);
    expect(letter.source.index).toBeUndefined();
    expect(
      deadLetter(decode(Buffer.from(JSON.stringify({ ...raw, version: 3 })))).reason.code,
    ).toBe(ErrorCode.UnsupportedMessageVersion);
  });

  describe('signatures', () => {
    const value = encodeMessage(good);
    const withHeaders = (headers: Record<string, string | Buffer | string[]> | undefined) =>
      decodeRecord(
        { key: null, value, offset: '7', ...(headers ? { headers } : {}) },
        'req',
        0,
        now,
        trust,
      );
    const reason = (decoded: DecodedRecord) => deadLetter(decoded).reason;

    it('decides a record signed with any of its keys, the rotated one too', () => {
      const next = { id: 'next', secret: 'the-next-request-signing-secret-32ch' };
      const both = { keys: [next, SIGNING_KEY], signatures: 'required' as const };
      for (const key of [next, SIGNING_KEY]) {
        const decoded = decodeRecord(
          {
            key: null,
            value,
            offset: '1',
            headers: { [SIGNATURE_HEADER]: signRecord(value, key) },
          },
          'req',
          0,
          now,
          both,
        );
        expect(decoded.requests).toHaveLength(1);
      }
    });

    it('dead-letters an unsigned record, a forged one, an unknown key and a tampered value', () => {
      expect(reason(withHeaders(undefined))).toEqual({
        code: ErrorCode.InvalidSignature,
        message: "the record's signature is missing (header rediclaim-signature)",
      });
      const forged = signRecord(value, { id: SIGNING_KEY.id, secret: 'x'.repeat(32) });
      expect(reason(withHeaders({ [SIGNATURE_HEADER]: forged })).message).toMatch(/does not match/);
      const stranger = signRecord(value, { id: 'other', secret: 'x'.repeat(32) });
      expect(reason(withHeaders({ [SIGNATURE_HEADER]: stranger })).message).toMatch(
        /names key "other"/,
      );
      const tampered = Buffer.from(value.toString().replace('"stock":10', '"stock":99999'));
      const decoded = decodeRecord(
        { key: null, value: tampered, offset: '8', headers: headersOf(value) },
        'req',
        0,
        now,
        trust,
      );
      expect(reason(decoded).message).toMatch(/does not match/);
    });

    it('refuses malformed and non-canonical signatures, and a repeated header', () => {
      const good64 = signRecord(value, SIGNING_KEY);
      const mac = good64.split(':')[2]!;
      // The last character of 43 base64url carries 2 unused bits: flip one of them.
      const last = mac.at(-1)!;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const sibling = alphabet[alphabet.indexOf(last) ^ 1]!;
      const nonCanonical = `${good64.slice(0, -1)}${sibling}`;
      expect(reason(withHeaders({ [SIGNATURE_HEADER]: nonCanonical })).message).toMatch(
        /not a canonical base64url MAC/,
      );
      expect(reason(withHeaders({ [SIGNATURE_HEADER]: `${good64}=` })).message).toMatch(
        /malformed/,
      );
      expect(reason(withHeaders({ [SIGNATURE_HEADER]: 'v2:gate:abc' })).message).toMatch(
        /malformed/,
      );
      expect(reason(withHeaders({ [SIGNATURE_HEADER]: [good64, good64] })).message).toMatch(
        /more than once/,
      );
      // A Buffer header (as kafkajs delivers them) is read as UTF-8.
      expect(withHeaders({ [SIGNATURE_HEADER]: Buffer.from(good64) }).requests).toHaveLength(1);
    });

    it('lets unsigned records in only when signatures are optional, still checking signed ones', () => {
      const optional = { keys: [SIGNING_KEY], signatures: 'optional' as const };
      expect(
        decodeRecord({ key: null, value, offset: '1' }, 'req', 0, now, optional).requests,
      ).toHaveLength(1);
      const forged = signRecord(value, { id: SIGNING_KEY.id, secret: 'y'.repeat(32) });
      expect(
        deadLetter(
          decodeRecord(
            { key: null, value, offset: '2', headers: { [SIGNATURE_HEADER]: forged } },
            'req',
            0,
            now,
            optional,
          ),
        ).reason.code,
      ).toBe(ErrorCode.InvalidSignature);
    });
  });
});

describe('the trace a request record belongs to', () => {
  const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const value = encodeMessage(request('shop', 'e', 'u1', 1, policy()));
  const withTrace = (traceparent?: string) =>
    decodeRecord(
      {
        key: null,
        value,
        offset: '1',
        headers: {
          ...headersOf(value),
          ...(traceparent === undefined ? {} : { [TRACEPARENT_HEADER]: Buffer.from(traceparent) }),
        },
      },
      'req',
      0,
      now,
      trust,
    );

  it('is the one its traceparent header names', () => {
    const decoded = withTrace(TRACEPARENT);
    expect(decoded.trace).toEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentId: 'b7ad6b7169203331',
      flags: '01',
    });
    expect(decoded.malformedTrace).toBeUndefined();
    expect(decoded.requests).toHaveLength(1);
  });

  it('is a new one when there is no header, and the record is decoded all the same', () => {
    const decoded = withTrace();
    expect(decoded.trace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(decoded.malformedTrace).toBeUndefined();
    expect(decoded.requests).toHaveLength(1);
    expect(decoded.deadLetters).toEqual([]);
  });

  it('is a new one when the header is malformed, which it names, never a dead letter', () => {
    const decoded = withTrace(TRACEPARENT.toUpperCase());
    expect(decoded.trace.traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    expect(decoded.malformedTrace).toBe(TRACEPARENT.toUpperCase());
    expect(decoded.requests).toHaveLength(1);
    expect(decoded.deadLetters).toEqual([]);
  });

  it('is known for a record that is a dead letter too, for its log line', () => {
    const decoded = decode(Buffer.from('not json'));
    expect(deadLetter(decoded)).toBeDefined();
    expect(decoded.trace.traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});
