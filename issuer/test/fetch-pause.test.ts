import { describe, expect, it } from '@jest/globals';
import { FetchPause } from '@rediclaim/issuer';

function consumer(running = true) {
  const calls: string[] = [];
  const c = {
    running,
    calls,
    pause: (topics: { topic: string }[]) => {
      if (!c.running) throw new Error('Consumer group was not initialized');
      calls.push(`pause ${topics.map((t) => t.topic).join()}`);
    },
    resume: (topics: { topic: string }[]) => {
      if (!c.running) throw new Error('Consumer group was not initialized');
      calls.push(`resume ${topics.map((t) => t.topic).join()}`);
    },
  };
  return c;
}

describe('pausing the request topic', () => {
  it('pauses while the database is down and resumes when it is back', () => {
    const c = consumer();
    const f = new FetchPause(c, 'requests');
    expect(f.hold('database')).toBe(true);
    expect(f.paused).toBe(true);
    expect(f.release('database')).toBe(true);
    expect(f.paused).toBe(false);
    expect(c.calls).toEqual(['pause requests', 'resume requests']);
  });

  it('does not resume fetching for a database that comes back while the issuer stops', () => {
    const c = consumer();
    const f = new FetchPause(c, 'requests');
    f.hold('database');
    expect(f.hold('stopping')).toBe(false);
    expect(f.release('database')).toBe(false);
    expect(f.paused).toBe(true);
    expect(c.calls).not.toContain('resume requests');
  });

  it('ignores the release of a reason it never held', () => {
    const c = consumer();
    const f = new FetchPause(c, 'requests');
    expect(f.release('database')).toBe(false);
    expect(c.calls).toEqual([]);
  });

  it('applies a pause asked before the consumer runs at its group join, and again after a restart', () => {
    const c = consumer(false);
    const f = new FetchPause(c, 'requests');
    expect(() => f.hold('database')).not.toThrow();
    expect(c.calls).toEqual([]);
    c.running = true;
    f.reapply();
    // kafkajs restarted after a crash: a new group object that knows no pause.
    f.reapply();
    expect(c.calls).toEqual(['pause requests', 'pause requests']);
  });

  it('leaves a running consumer alone at a join when nothing holds it', () => {
    const c = consumer();
    new FetchPause(c, 'requests').reapply();
    expect(c.calls).toEqual([]);
  });
});
