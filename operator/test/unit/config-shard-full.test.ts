import { describe, expect, it } from '@jest/globals';
import { desiredStatus } from '../../src/reconcilers/couponevent/status.js';
import { transitionEvents } from '../../src/reconcilers/couponevent/status-events.js';
import { base } from '../support/status-inputs.js';

describe('an event its ConfigMap shard has no room for', () => {
  const full = 'ConfigMap rc/rediclaim-events-3 is full (900 KiB of its 900 KiB, 1300 events).';

  it('is Configured=False, ConfigShardFull, and not Ready, saying why', () => {
    const status = desiredStatus(base({ configuredGeneration: undefined, configShardFull: full }));
    const find = (type: string) => status.conditions?.find((c) => c.type === type);
    expect(find('Configured')).toMatchObject({
      status: 'False',
      reason: 'ConfigShardFull',
      message: full,
    });
    expect(find('Ready')).toMatchObject({ status: 'False', reason: 'ConfigShardFull' });
  });

  it('gets a Warning Event once', () => {
    const before = desiredStatus(base({ configuredGeneration: undefined }));
    const after = desiredStatus(
      base({ configuredGeneration: undefined, configShardFull: full, previous: before }),
    );
    expect(transitionEvents(before, after)).toContainEqual(
      expect.objectContaining({ type: 'Warning', reason: 'ConfigShardFull', note: full }),
    );
    const again = desiredStatus(
      base({ configuredGeneration: undefined, configShardFull: full, previous: after }),
    );
    expect(transitionEvents(after, again)).toEqual([]);
  });

  it('is Configured as soon as its shard holds it', () => {
    const status = desiredStatus(base({ configuredGeneration: 2, configShardFull: full }));
    expect(status.conditions?.find((c) => c.type === 'Configured')?.status).toBe('True');
  });
});
