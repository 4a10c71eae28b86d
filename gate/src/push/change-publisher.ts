import type { Logger } from 'pino';
import type { EventKeys } from '@rediclaim/core';
import type { GateMetrics } from '../metrics.js';
import type { RedisClient } from '../redis/client.js';
import { changeChannelsOf, type ChangeChannels } from './change-channels.js';
import { encodeChangeNotice, type ChangeNotice } from './change-notice.js';

/**
 * Announces changes on the event's channel for the push streams of every replica. Fire
 * and forget: admission and recording never wait for it nor fail with it, since a lost
 * notice only delays a push until the stream's next resync read.
 */
export class ChangePublisher {
  private readonly channels: ChangeChannels;

  constructor(
    redis: RedisClient,
    private readonly logger: Logger,
    private readonly metrics: GateMetrics,
  ) {
    this.channels = changeChannelsOf(redis);
  }

  /** Shoppers just admitted (or sent again); `movedUp` of them left the waiting line. */
  admitted(keys: EventKeys, userIds: readonly string[], movedUp: number): void {
    if (userIds.length === 0) return;
    this.publish(keys, { admitted: [...userIds], movedUp });
  }

  /** Outcomes recorded; `soldOut` when the issuer said the stock is gone. */
  decided(keys: EventKeys, userIds: readonly string[], soldOut: boolean): void {
    if (userIds.length === 0 && !soldOut) return;
    this.publish(keys, {
      ...(userIds.length > 0 ? { decided: [...userIds] } : {}),
      ...(soldOut ? { soldOut } : {}),
    });
  }

  private publish(keys: EventKeys, notice: ChangeNotice): void {
    this.channels.publish(keys.changes, encodeChangeNotice(notice)).then(
      () => this.metrics.pushNotices.inc({ outcome: 'published' }),
      (error: unknown) => {
        this.metrics.pushNotices.inc({ outcome: 'publish_failed' });
        this.logger.debug({ err: error, channel: keys.changes }, 'change notice not published');
      },
    );
  }
}
