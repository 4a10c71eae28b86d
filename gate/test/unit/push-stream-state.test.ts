import { describe, expect, it } from '@jest/globals';
import {
  decodeChangeNotice,
  encodeChangeNotice,
  endsStream,
  isMilestone,
  movedOn,
  sseFrame,
  sseRetry,
  stateIdOf,
  type StreamedStatus,
} from '@rediclaim/gate';

const waiting = (rank: number, etaSeconds: number | null = 100): StreamedStatus => ({
  status: 'WAITING',
  rank,
  ahead: rank - 1,
  etaSeconds,
});

describe("a push stream's frame ids", () => {
  it('name the state, so every replica gives the same state the same id', () => {
    expect(stateIdOf(waiting(42))).toBe('WAITING.42');
    expect(stateIdOf({ status: 'PROCESSING', rank: null, ahead: null, etaSeconds: null })).toBe(
      'PROCESSING',
    );
    expect(stateIdOf({ status: 'ISSUED', rank: null, ahead: null, etaSeconds: null })).toBe(
      'ISSUED',
    );
  });

  it('show no place in the pre-queue, where the order is not drawn yet', () => {
    expect(stateIdOf({ status: 'WAITING', rank: null, ahead: null, etaSeconds: null })).toBe(
      'WAITING',
    );
  });
});

describe('when a push stream ends', () => {
  it('goes on while the shopper waits or is processed, ends at anything else', () => {
    expect(endsStream('WAITING')).toBe(false);
    expect(endsStream('PROCESSING')).toBe(false);
    for (const status of [
      'ISSUED',
      'SOLD_OUT',
      'ALREADY_ISSUED',
      'REJECTED',
      'EVENT_CLOSED',
      'NOT_IN_QUEUE',
      'EVENT_NOT_OPEN',
    ])
      expect(endsStream(status)).toBe(true);
  });
});

describe('a waiting place between two reads', () => {
  it('moves up by the shoppers admitted since, the ETA in proportion', () => {
    expect(movedOn(waiting(101), 40)).toEqual({
      status: 'WAITING',
      rank: 61,
      ahead: 60,
      etaSeconds: 60,
    });
  });

  it('never passes the front of the line', () => {
    expect(movedOn(waiting(5, 2), 50)).toMatchObject({ rank: 1, ahead: 0, etaSeconds: 0 });
  });

  it('keeps an unknown ETA unknown, and keeps the other fields of the body', () => {
    const body = { ...waiting(11, null), ticket: 't', ticketNumber: 9 };
    expect(movedOn(body, 3)).toEqual({ ...body, rank: 8, ahead: 7, etaSeconds: null });
  });

  it('is unknown without a place (pre-queue) or when not waiting', () => {
    expect(
      movedOn({ status: 'WAITING', rank: null, ahead: null, etaSeconds: null }, 3),
    ).toBeUndefined();
    expect(
      movedOn({ status: 'PROCESSING', rank: null, ahead: null, etaSeconds: null }, 3),
    ).toBeUndefined();
  });
});

describe('which progress is worth a frame', () => {
  it('a tenth closer, at most once in three seconds', () => {
    expect(isMilestone(1000, 900, 3_000)).toBe(true);
    expect(isMilestone(1000, 901, 3_000)).toBe(false);
    expect(isMilestone(1000, 500, 2_999)).toBe(false);
  });

  it('any step after ten seconds, so a long line still sees it move', () => {
    expect(isMilestone(1000, 999, 10_000)).toBe(true);
    expect(isMilestone(1000, 999, 9_999)).toBe(false);
  });

  it('near the front, every step (three seconds apart)', () => {
    expect(isMilestone(3, 2, 3_000)).toBe(true);
  });

  it('never a place that did not move up', () => {
    expect(isMilestone(10, 10, 60_000)).toBe(false);
    expect(isMilestone(10, 12, 60_000)).toBe(false);
  });
});

describe('change notices between replicas', () => {
  it('read back what was written', () => {
    const notice = { admitted: ['u1', 'u2'], movedUp: 2, decided: ['u0'], soldOut: true };
    expect(decodeChangeNotice(encodeChangeNotice(notice))).toEqual(notice);
  });

  it('refuse what is not JSON, naming it', () => {
    const refused = decodeChangeNotice('{nope');
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe('change notice is not JSON: {nope');
  });

  it('refuse unknown fields and wrong types, saying where', () => {
    const unknown = decodeChangeNotice('{"admitted":["u1"],"evicted":["u2"]}');
    expect((unknown as Error).message).toMatch(/^change notice refused: .*evicted/);
    const wrong = decodeChangeNotice('{"movedUp":-1}');
    expect((wrong as Error).message).toBe('change notice refused: movedUp: must be at least 0');
    const empty = decodeChangeNotice('{"decided":[""]}');
    expect((empty as Error).message).toBe('change notice refused: decided[0]: must not be empty');
  });
});

describe('server-sent events on the wire', () => {
  it('write id, event and one data line, then a blank line', () => {
    expect(sseFrame('status', '{"a":1}', 'WAITING.3')).toBe(
      'id: WAITING.3\nevent: status\ndata: {"a":1}\n\n',
    );
    expect(sseFrame('end', '{}')).toBe('event: end\ndata: {}\n\n');
    expect(sseRetry(3000.4)).toBe('retry: 3000\n\n');
  });
});
