import { describe, expect, it } from '@jest/globals';
import { Availability, describeOutage } from '@rediclaim/issuer';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), {
  code: 'ECONNREFUSED',
});
const timedOut = Object.assign(new Error('no answer to SELECT 1 within 2000 ms'), {
  code: 'PING_TIMEOUT',
});

describe('database availability', () => {
  it('starts up, and reports the beginning of an outage only at its first failed check', () => {
    const a = new Availability();
    expect(a.up).toBe(true);
    expect(a.answered(at(0))).toBeUndefined();
    expect(a.failed(refused, at(1))).toEqual({
      kind: 'down',
      outage: { since: at(1), code: 'ECONNREFUSED', message: refused.message, failedChecks: 1 },
    });
    expect(a.failed(refused, at(2))).toBeUndefined();
    expect(a.failed(timedOut, at(3))).toBeUndefined();
    expect(a.up).toBe(false);
    // The outage began refused and goes on timing out: readiness shows the latest.
    expect(a.outage).toEqual({
      since: at(1),
      code: 'PING_TIMEOUT',
      message: timedOut.message,
      failedChecks: 3,
    });
  });

  it('reports the end of an outage once, with how long it lasted', () => {
    const a = new Availability();
    a.failed(refused, at(10));
    a.failed(refused, at(12));
    expect(a.answered(at(25))).toMatchObject({
      kind: 'up',
      endedAt: at(25),
      seconds: 15,
      outage: { since: at(10), failedChecks: 2 },
    });
    expect(a.up).toBe(true);
    expect(a.outage).toBeUndefined();
    expect(a.answered(at(26))).toBeUndefined();
    // A later failure is a new outage, news again.
    expect(a.failed(refused, at(30))?.kind).toBe('down');
  });

  it('describes an outage in a sentence that says what waits and why', () => {
    const a = new Availability();
    a.failed(refused, at(1));
    a.failed(refused, at(2));
    expect(describeOutage(a.outage!)).toBe(
      'database unreachable since 2026-01-01T00:00:01.000Z (2 failed checks, last: ECONNREFUSED: ' +
        'connect ECONNREFUSED 127.0.0.1:3306); issuing is paused and requests wait in Kafka until it answers',
    );
  });

  it('names an error without a code by its class, or UNKNOWN', () => {
    const a = new Availability();
    a.failed(new TypeError('boom'), at(1));
    expect(a.outage?.code).toBe('TypeError');
    const b = new Availability();
    b.failed('a string', at(1));
    expect(b.outage).toMatchObject({ code: 'UNKNOWN', message: 'a string' });
  });
});
