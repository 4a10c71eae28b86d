import type { Producer } from 'kafkajs';
import {
  SIGNATURE_HEADER,
  TRACEPARENT_HEADER,
  encodeIssueRequests,
  formatTraceparent,
  requestIdOf,
  signRecord,
  type SigningKey,
  type IssueRequestBatchHeader,
  type IssueRequestItem,
  type TraceContext,
} from '@rediclaim/core';
import type { LiveEvent } from '../config/live-event.js';
import type { AdmittedShopper } from '../redis/gate-scripts.js';

/**
 * The producer side of admission: one admission batch as IssueRequestBatch records (v2):
 * what its shoppers share (event, sale, admission instant, policy) said once, then one
 * item per shopper. Kafka's and kafkajs' cost is per record, not per byte, so one record
 * per batch instead of one per shopper is what keeps a send cheap. core's encoder splits
 * a batch over several records only past its limits, each keyed by its first shopper, so
 * an event's batches still spread over the partitions, hence over issuers. Every record
 * is acknowledged by every in-sync replica (acks -1) before the dispatcher counts the
 * batch as sent, all of them or the whole batch is sent again (same requestIds). Only
 * issuers that read v2 can take these: upgrade the issuers before the gates. Each record
 * is signed (HMAC in a header): the issuers decide nothing a gate did not send. Every
 * record of the batch carries its trace (a W3C traceparent header, the send's span),
 * which the issuer continues on its answers.
 */
export class IssueRequestSender {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly timeoutMs: number,
    private readonly signingKey: SigningKey,
  ) {}

  /** Sends one admission batch; rejects when Kafka did not acknowledge it. */
  async send(
    event: LiveEvent,
    admittedAtMs: number,
    shoppers: readonly AdmittedShopper[],
    trace: TraceContext,
  ): Promise<void> {
    const header: IssueRequestBatchHeader = {
      type: 'IssueRequestBatch',
      version: 2,
      tenant: event.tenant,
      eventId: event.id,
      ...(event.uid ? { uid: event.uid } : {}),
      admittedAt: new Date(admittedAtMs).toISOString(),
      policy: event.policy,
    };
    const items = shoppers.map(({ userId, ticket }): IssueRequestItem => ({
      requestId: requestIdOf(event.tenant, event.id, userId, ticket),
      userId,
      ticket,
    }));
    const traceparent = formatTraceparent(trace);
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      timeout: this.timeoutMs,
      messages: encodeIssueRequests(header, items).map(({ key, value }) => ({
        key,
        value,
        headers: {
          [SIGNATURE_HEADER]: signRecord(value, this.signingKey),
          [TRACEPARENT_HEADER]: traceparent,
        },
      })),
    });
  }
}
