import type { Consumer, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import {
  IssueOutcome,
  decideIssuance,
  SIGNATURE_HEADER,
  decodeIssueRequests,
  verifyRecord,
  encodeIssueResultV1,
  encodeIssueResults,
  type IssueRequest,
  type IssueResult,
  type OutgoingRecord,
  type PriorDecision,
} from '@rediclaim/core';
import { testKafka, uniqueName } from '@rediclaim/hack/testing';
import { TEST_SIGNING_KEY, signedAsIssuer } from './harness.js';

/** What the simulated issuer does with one event's requests. */
export type Behaviour =
  | { kind: 'issue' }
  | { kind: 'silent' }
  | { kind: 'reject'; reason: string }
  | { kind: 'custom'; decide: (request: IssueRequest) => Partial<IssueResult> | undefined };

interface Ledger {
  issued: number;
  byUser: Map<string, number>;
  decided: Map<string, PriorDecision>;
}

/**
 * A stand-in for the issuer over real Kafka: consumes the gate's requests from the test's
 * requests topic, decides them with core's decideIssuance (the issuer's own rule: stock,
 * per-user limit, redelivery keeps its decision; a record's requests decided together)
 * and produces their results to the results topic in the request's version, as the
 * issuer does: a v2 batch is answered with v2 batches, a v1 request with a v1 result.
 * Every request it saw is kept for assertions.
 */
export class IssuerSim {
  readonly requests: IssueRequest[] = [];
  /** Each request record as it came: its version and how many requests it held. */
  readonly records: { version: 1 | 2; eventId: string; size: number }[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly ledgers = new Map<string, Ledger>();
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private perSecond: number | undefined;

  constructor(
    private readonly topics: { requests: string; results: string },
    private readonly fallback: Behaviour = { kind: 'issue' },
  ) {}

  set(eventId: string, behaviour: Behaviour): void {
    this.behaviours.set(eventId, behaviour);
  }

  /**
   * Decides at most `perSecond` requests a second from now on, as an issuer starved of
   * CPU or stuck behind a slow database would: the consumer falls behind, the requests
   * wait in Kafka. Undefined: as fast as it can again.
   */
  throttle(perSecond: number | undefined): void {
    this.perSecond = perSecond;
  }

  requestsOf(eventId: string): IssueRequest[] {
    return this.requests.filter((r) => r.eventId === eventId);
  }

  async start(): Promise<void> {
    const kafka = testKafka('issuer-sim');
    this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await this.producer.connect();
    this.consumer = kafka.consumer({
      groupId: uniqueName('issuer-sim'),
      sessionTimeout: 6_000,
      heartbeatInterval: 500,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topics.requests, fromBeginning: true });
    await this.consumer.run({
      eachBatch: async ({ batch, heartbeat }) => {
        const records: OutgoingRecord[] = [];
        for (const message of batch.messages) {
          const { version, values, dead } = decodeIssueRequests(message.value);
          await this.pace(values.length, heartbeat);
          if (dead.length > 0)
            throw new Error(`the gate sent bad items: ${dead[0]!.error.message}`);
          // Like the real issuer: what a gate sends is signed (v1 records here come from
          // tests standing in for gates from before signatures).
          if (version === 2)
            verifyRecord(message.value, message.headers?.[SIGNATURE_HEADER], [TEST_SIGNING_KEY]);
          this.requests.push(...values);
          if (values[0])
            this.records.push({ version, eventId: values[0].eventId, size: values.length });
          records.push(...recordsOf(this.decide(values), version));
        }
        if (records.length) await this.send(records);
      },
    });
  }

  /** Takes the time `count` requests take at the throttled pace, heartbeating meanwhile. */
  private async pace(count: number, heartbeat: () => Promise<void>): Promise<void> {
    let left = this.perSecond ? (count / this.perSecond) * 1000 : 0;
    while (left > 0 && this.perSecond) {
      const step = Math.min(left, 250);
      await new Promise((r) => setTimeout(r, step));
      left -= step;
      await heartbeat();
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  /** Produces results as the issuer would, v2 unless told (tests also call it directly). */
  async publish(results: IssueResult[], version: 1 | 2 = 2): Promise<void> {
    await this.send(recordsOf(results, version));
  }

  private async send(records: OutgoingRecord[]): Promise<void> {
    await this.producer!.send({ topic: this.topics.results, acks: -1, messages: records });
  }

  /** The results of one record's requests (one event's) under its behaviour and ledger. */
  private decide(requests: readonly IssueRequest[]): IssueResult[] {
    const first = requests[0];
    if (!first) return [];
    const behaviour = this.behaviours.get(first.eventId) ?? this.fallback;
    if (behaviour.kind === 'silent') return [];
    const ledger = this.ledgerOf(first.eventId);
    const left = (request: IssueRequest) => Math.max(0, request.policy.stock - ledger.issued);
    if (behaviour.kind === 'custom') {
      return requests.flatMap((request) => {
        const custom = behaviour.decide(request);
        if (!custom) return [];
        return [
          {
            ...resultBase(request),
            outcome: IssueOutcome.SoldOut,
            remaining: left(request),
            ...custom,
          } as IssueResult,
        ];
      });
    }
    if (behaviour.kind === 'reject') {
      return requests.map((request) => ({
        ...resultBase(request),
        outcome: IssueOutcome.Rejected,
        reason: behaviour.reason,
        remaining: left(request),
      }));
    }
    const byId = new Map(requests.map((r) => [r.requestId, r]));
    const batch = decideIssuance(
      {
        stock: first.policy.stock,
        issued: ledger.issued,
        perUserLimit: first.policy.perUserLimit,
        issuedByUser: ledger.byUser,
        priorDecisions: ledger.decided,
        windowOpen: true,
      },
      requests,
    );
    for (const decision of batch.decisions) {
      if (!decision.fresh) continue;
      ledger.decided.set(decision.request.requestId, decision);
      if (decision.outcome === IssueOutcome.Issued) {
        ledger.issued += 1;
        const userId = decision.request.userId;
        ledger.byUser.set(userId, (ledger.byUser.get(userId) ?? 0) + 1);
      }
    }
    const now = new Date();
    return batch.decisions.map((decision) => {
      const request = byId.get(decision.request.requestId)!;
      return {
        ...resultBase(request),
        outcome: decision.outcome,
        remaining: batch.remaining,
        ...(decision.reason ? { reason: decision.reason } : {}),
        ...(decision.outcome === IssueOutcome.Issued
          ? {
              coupon: {
                code: `C${String(decision.serial).padStart(11, '0')}`,
                serial: decision.serial!,
                discount: request.policy.discount,
                validFrom: now.toISOString(),
                validUntil: new Date(now.getTime() + 86_400_000).toISOString(),
                issuedAt: now.toISOString(),
              },
            }
          : {}),
      };
    });
  }

  private ledgerOf(eventId: string): Ledger {
    let ledger = this.ledgers.get(eventId);
    if (!ledger) {
      ledger = { issued: 0, byUser: new Map(), decided: new Map() };
      this.ledgers.set(eventId, ledger);
    }
    return ledger;
  }
}

/** What every result of a request says whatever the outcome. */
function resultBase(request: IssueRequest) {
  return {
    type: 'IssueResult' as const,
    version: 1 as const,
    requestId: request.requestId,
    tenant: request.tenant,
    eventId: request.eventId,
    userId: request.userId,
    ticket: request.ticket,
    ...(request.uid ? { uid: request.uid } : {}),
    stock: request.policy.stock,
    decidedAt: new Date().toISOString(),
  };
}

/** Results as the records of a version: v2 batches, or one v1 record each. */
function recordsOf(results: readonly IssueResult[], version: 1 | 2): OutgoingRecord[] {
  return signedAsIssuer(
    version === 2 ? encodeIssueResults(results) : results.map(encodeIssueResultV1),
  );
}
