import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { TRACEPARENT_HEADER, type IssueResult } from '@rediclaim/core';
import { logRecordedResults, resultRecordSpan } from '@rediclaim/gate';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const TRACEPARENT = `00-${TRACE}-b7ad6b7169203331-01`;

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

const result = (userId: string): IssueResult =>
  ({ tenant: 'shop', eventId: 'sale', userId }) as IssueResult;

// The results consumer's last line of a shopper's story: one per result record.
describe('the log of recorded results', () => {
  const results = ['u1', 'u2', 'u3', 'u4', 'u5'].map(result);
  const spans = [
    resultRecordSpan(
      2,
      { offset: '7', headers: { [TRACEPARENT_HEADER]: Buffer.from(TRACEPARENT) } },
      0,
      3,
    ),
    resultRecordSpan(2, { offset: '8' }, 3, 1),
    resultRecordSpan(2, { offset: '9', headers: { [TRACEPARENT_HEADER]: 'nonsense' } }, 4, 1),
    // A record whose items were all dead letters: nothing recorded, nothing said.
    resultRecordSpan(2, { offset: '10' }, 5, 0),
  ];

  it('names each record trace, its shoppers and how many were recorded', () => {
    const { logger, lines } = capture('debug');
    logRecordedResults(logger, spans, results, [
      'recorded',
      'duplicate',
      'former',
      'recorded',
      'deleted',
    ]);
    expect(lines.map(({ time: _t, pid: _p, hostname: _h, ...line }) => line)).toEqual([
      {
        level: 20,
        msg: 'results recorded',
        traceId: TRACE,
        tenant: 'shop',
        event: 'sale',
        count: 3,
        recorded: 2,
        ignored: 1,
        firstUserId: 'u1',
        lastUserId: 'u3',
        partition: 2,
        offset: '7',
      },
      expect.not.objectContaining({
        traceId: expect.anything(),
        badTraceparent: expect.anything(),
      }),
      expect.objectContaining({ badTraceparent: 'nonsense', recorded: 0, firstUserId: 'u5' }),
    ]);
    expect(lines[1]).toMatchObject({ firstUserId: 'u4', lastUserId: 'u4', recorded: 1 });
  });

  it('costs nothing above debug', () => {
    const { logger, lines } = capture('info');
    logRecordedResults(logger, spans, results, [
      'recorded',
      'recorded',
      'recorded',
      'recorded',
      'recorded',
    ]);
    expect(lines).toEqual([]);
  });
});
