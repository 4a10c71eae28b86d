import type { Producer } from 'kafkajs';
import { encodeMessage, messageKeyOf, requestIdOf, type IssueRequest } from '@rediclaim/core';
import type { LiveEvent } from '../config/live-event.js';
import type { AdmittedShopper } from '../redis/gate-scripts.js';

/**
 * The producer side of admission: one IssueRequest per admitted shopper, keyed by the
 * shopper (so requests spread over partitions, hence over issuers), acknowledged by
 * every in-sync replica (acks -1) before the dispatcher counts them as sent.
 */
export class IssueRequestSender {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly timeoutMs: number,
  ) {}

  /** Sends one admission batch; rejects when Kafka did not acknowledge it. */
  async send(
    event: LiveEvent,
    admittedAtMs: number,
    shoppers: readonly AdmittedShopper[],
  ): Promise<void> {
    const admittedAt = new Date(admittedAtMs).toISOString();
    const messages = shoppers.map(({ userId, ticket }) => {
      const request: IssueRequest = {
        type: 'IssueRequest',
        version: 1,
        requestId: requestIdOf(event.tenant, event.id, userId, ticket),
        tenant: event.tenant,
        eventId: event.id,
        userId,
        ticket,
        ...(event.uid ? { uid: event.uid } : {}),
        admittedAt,
        policy: event.policy,
      };
      return { key: messageKeyOf(event.tenant, event.id, userId), value: encodeMessage(request) };
    });
    await this.producer.send({ topic: this.topic, acks: -1, timeout: this.timeoutMs, messages });
  }
}
