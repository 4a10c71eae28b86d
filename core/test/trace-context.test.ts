import { describe, expect, it } from '@jest/globals';
import {
  childTrace,
  formatTraceparent,
  newTrace,
  parseTraceparent,
  traceOfRecord,
} from '@rediclaim/core';

// The W3C Trace Context header the pipeline's records carry (w3.org/TR/trace-context).
const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';
const VALID = `00-${TRACE}-${SPAN}-01`;

/** Bytes counting up from `start`, a fresh run on every call. */
const counting = (start = 1) => {
  let next = start;
  return (size: number) => Uint8Array.from({ length: size }, () => next++ % 256);
};

describe('reading a traceparent', () => {
  it('reads a version 00 header into its trace id, parent id and flags', () => {
    expect(parseTraceparent(VALID)).toEqual({ traceId: TRACE, parentId: SPAN, flags: '01' });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.flags).toBe('00');
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-09`)?.flags).toBe('09');
  });

  it('reads the header as kafkajs hands it over: a Buffer, or a list of one', () => {
    expect(parseTraceparent(Buffer.from(VALID))?.traceId).toBe(TRACE);
    expect(parseTraceparent([Buffer.from(VALID)])?.traceId).toBe(TRACE);
  });

  it('reads a later version for its first four fields, ignoring the fields it adds', () => {
    expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01`)?.traceId).toBe(TRACE);
    expect(parseTraceparent(`cc-${TRACE}-${SPAN}-01-what-the-future-will-be-like`)).toEqual({
      traceId: TRACE,
      parentId: SPAN,
      flags: '01',
    });
  });

  it.each([
    ['nothing', ''],
    ['a word', 'garbage'],
    ['a trace id one digit short', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['a trace id one digit long', `00-${TRACE}0-${SPAN}-01`],
    ['a parent id one digit short', `00-${TRACE}-${SPAN.slice(1)}-01`],
    ['one-digit flags', `00-${TRACE}-${SPAN}-1`],
    ['an uppercase trace id', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['an uppercase parent id', `00-${TRACE}-${SPAN.toUpperCase()}-01`],
    ['uppercase flags', `00-${TRACE}-${SPAN}-0A`],
    ['an uppercase version', `0A-${TRACE}-${SPAN}-01`],
    ['a version that is not hex', `0g-${TRACE}-${SPAN}-01`],
    ['version ff, which the spec forbids', `ff-${TRACE}-${SPAN}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['an all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['a digit that is not hex', `00-${TRACE.slice(0, -1)}g-${SPAN}-01`],
    ['underscores for dashes', `00_${TRACE}_${SPAN}_01`],
    ['version 00 with a field more', `00-${TRACE}-${SPAN}-01-extra`],
    ['version 00 with a character more', `${VALID}.`],
    ['version 00 with a trailing space', `${VALID} `],
    ['a later version followed by something not a field', `cc-${TRACE}-${SPAN}-01.what`],
  ])('refuses %s', (_what, header) => {
    expect(parseTraceparent(header)).toBeUndefined();
  });

  it('refuses a header given twice, even twice the same', () => {
    expect(parseTraceparent([VALID, VALID])).toBeUndefined();
    expect(parseTraceparent([])).toBeUndefined();
  });

  it('has nothing to read in an absent header', () => {
    expect(parseTraceparent(undefined)).toBeUndefined();
    expect(parseTraceparent(null)).toBeUndefined();
  });
});

describe('writing a traceparent', () => {
  it('writes version 00, even for a trace read from a later version', () => {
    expect(formatTraceparent(parseTraceparent(VALID)!)).toBe(VALID);
    expect(formatTraceparent(parseTraceparent(`cc-${TRACE}-${SPAN}-01-more`)!)).toBe(VALID);
  });

  it('starts a new trace from random bytes, sampled, which reads back as itself', () => {
    const trace = newTrace(counting());
    expect(trace).toEqual({
      traceId: '0102030405060708090a0b0c0d0e0f10',
      parentId: '1112131415161718',
      flags: '01',
    });
    expect(parseTraceparent(formatTraceparent(trace))).toEqual(trace);
    const real = newTrace();
    expect(parseTraceparent(formatTraceparent(real))).toEqual(real);
    expect(newTrace().traceId).not.toBe(real.traceId);
  });

  it('draws again rather than give an all-zero id', () => {
    let calls = 0;
    const zerosFirst = (size: number) =>
      calls++ === 0 ? new Uint8Array(size) : Uint8Array.from({ length: size }, () => 7);
    expect(newTrace(zerosFirst).traceId).toBe('07'.repeat(16));
    expect(calls).toBe(3);
  });

  it('refuses a source of random bytes that gives too few', () => {
    expect(() => newTrace((size) => new Uint8Array(size - 1).fill(1))).toThrow(RangeError);
  });

  it('continues a trace in a child span: same trace id and flags, a new parent id', () => {
    const parent = parseTraceparent(`00-${TRACE}-${SPAN}-00`)!;
    const child = childTrace(parent, counting(0x21));
    expect(child).toEqual({ traceId: TRACE, parentId: '2122232425262728', flags: '00' });
    expect(childTrace(parent).parentId).not.toBe(SPAN);
  });
});

describe('the trace of a received record', () => {
  it('is the one its header names', () => {
    expect(traceOfRecord(Buffer.from(VALID))).toEqual({
      trace: { traceId: TRACE, parentId: SPAN, flags: '01' },
      received: true,
    });
  });

  it('is a new one when the record has no header', () => {
    const { trace, received, malformed } = traceOfRecord(undefined, counting());
    expect(trace.traceId).toBe('0102030405060708090a0b0c0d0e0f10');
    expect(received).toBe(false);
    expect(malformed).toBeUndefined();
  });

  it('is a new one when the header is malformed, which it names, cut to a log line', () => {
    const bad = traceOfRecord(Buffer.from(`00-${TRACE.toUpperCase()}-${SPAN}-01`));
    expect(bad.received).toBe(false);
    expect(bad.malformed).toBe(`00-${TRACE.toUpperCase()}-${SPAN}-01`);
    expect(parseTraceparent(formatTraceparent(bad.trace))).toEqual(bad.trace);
    expect(traceOfRecord('x'.repeat(5_000)).malformed).toHaveLength(120);
    expect(traceOfRecord([VALID, 'other']).malformed).toBe(`${VALID}, other`);
  });
});
