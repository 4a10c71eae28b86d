import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import { fixKafkajsIdleLoop } from '@rediclaim/gate';

describe('kafkajs idle loop fix', () => {
  it('leaves an idle request queue without a timer, and still schedules one for a waiting request', () => {
    expect(fixKafkajsIdleLoop()).toBe(true);
    const RequestQueue = createRequire(import.meta.url)(
      'kafkajs/src/network/requestQueue/index.js',
    ) as new (options: Record<string, unknown>) => {
      pending: unknown[];
      throttleCheckTimeoutId: NodeJS.Timeout | null;
      scheduleCheckPendingRequests(): void;
    };
    const queue = new RequestQueue({
      maxInFlightRequests: 1,
      requestTimeout: 1000,
      enforceRequestTimeout: false,
      clientId: 'test',
      broker: 'b:1',
      logger: { debug: () => undefined },
      isConnected: () => true,
    });
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeNull();
    queue.pending.push({});
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(queue.throttleCheckTimeoutId!);
  });
});
