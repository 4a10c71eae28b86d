import { describe, expect, it } from '@jest/globals';
import {
  deadLetterOf,
  decodeMessage,
  deadLetterSchema,
  encodeMessage,
  eventKeys,
  issueRequestSchema,
  issueResultSchema,
  messageKeyOf,
  requestIdOf,
  RediclaimError,
  type IssueRequest,
} from '@rediclaim/core';
import { codeOf } from './support/error-code.js';

const request: IssueRequest = {
  type: 'IssueRequest',
  version: 1,
  requestId: requestIdOf('shop-a', '1001', 'user-1', 17),
  tenant: 'shop-a',
  eventId: '1001',
  userId: 'user-1',
  ticket: 17,
  admittedAt: '2026-11-27T10:00:00.000Z',
  policy: {
    generation: 2,
    stock: 100,
    perUserLimit: 1,
    validity: { validForHours: 24 },
    discount: { type: 'percent', percent: 10 },
    code: { prefix: '', length: 12 },
  },
};

describe('Kafka messages', () => {
  it('round-trips an issue request through its JSON encoding', () => {
    expect(decodeMessage(issueRequestSchema, encodeMessage(request), 'issue request')).toEqual(
      request,
    );
  });

  it('calls bytes that are not JSON an INVALID_MESSAGE', () => {
    expect(
      codeOf(() => decodeMessage(issueRequestSchema, Buffer.from('{"type":'), 'issue request')),
    ).toBe('INVALID_MESSAGE');
    expect(
      codeOf(() => decodeMessage(issueRequestSchema, Buffer.from([0xff, 0xfe]), 'issue request')),
    ).toBe('INVALID_MESSAGE');
    expect(codeOf(() => decodeMessage(issueRequestSchema, null, 'issue request'))).toBe(
      'INVALID_MESSAGE',
    );
  });

  it('names the bad field of a message with the wrong shape', () => {
    const bad = { ...request, ticket: -1, userId: 'a b' };
    expect(() => decodeMessage(issueRequestSchema, encodeMessage(bad), 'issue request')).toThrow(
      /issue request is invalid: .*userId: may contain only .*ticket: must be at least 0/,
    );
  });

  it('tells a message from a newer producer apart from a broken one', () => {
    expect(
      codeOf(() =>
        decodeMessage(
          issueRequestSchema,
          encodeMessage({ ...request, version: 2 }),
          'issue request',
        ),
      ),
    ).toBe('UNSUPPORTED_MESSAGE_VERSION');
  });

  it('insists an ISSUED result carries its coupon', () => {
    const result = {
      type: 'IssueResult',
      version: 1,
      requestId: request.requestId,
      tenant: 'shop-a',
      eventId: '1001',
      userId: 'user-1',
      ticket: 17,
      outcome: 'ISSUED',
      remaining: 10,
      stock: 100,
      decidedAt: '2026-11-27T10:00:01.000Z',
    };
    expect(() => decodeMessage(issueResultSchema, encodeMessage(result), 'issue result')).toThrow(
      /coupon: an ISSUED result carries its coupon/,
    );
  });

  it('keeps the original bytes and origin in a dead letter, as base64 when they are not text', () => {
    const source = {
      topic: 'rediclaim.issue-requests',
      partition: 3,
      offset: '42',
      key: Buffer.from('k'),
    };
    const letter = deadLetterOf(
      new RediclaimError('INVALID_MESSAGE', 'issue request is empty'),
      source,
      Buffer.from([0xff, 0x00]),
      'issuer',
      new Date('2026-11-27T10:00:00Z'),
    );
    expect(deadLetterSchema.parse(letter)).toEqual({
      type: 'DeadLetter',
      version: 1,
      reason: { code: 'INVALID_MESSAGE', message: 'issue request is empty' },
      source: { topic: 'rediclaim.issue-requests', partition: 3, offset: '42', key: 'k' },
      payload: '/wA=',
      payloadEncoding: 'base64',
      service: 'issuer',
      failedAt: '2026-11-27T10:00:00.000Z',
    });
  });
});

describe('keys and ids', () => {
  it('puts every Redis key of one event in one cluster slot through a shared hash tag', () => {
    const keys = Object.values(eventKeys('shop-a', '1001'));
    expect(keys.every((k) => k.startsWith('rc:{shop-a/1001}:'))).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('keys Kafka messages by shopper so an event spreads over partitions', () => {
    expect(messageKeyOf('shop-a', '1001', 'u1')).toBe('shop-a/1001/u1');
    expect(requestIdOf('shop-a', '1001', 'u1', 5)).toBe('shop-a/1001/u1/5');
  });
});
