import type { Consumer, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import {
  IssueOutcome,
  decideIssuance,
  decodeMessage,
  encodeMessage,
  issueRequestSchema,
  messageKeyOf,
  type IssueRequest,
  type IssueResult,
  type PriorDecision,
} from '@rediclaim/core';
import { testKafka, uniqueName } from '@rediclaim/hack/testing';

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
 * A stand-in for the issuer over real Kafka: consumes the gate's IssueRequests from the
 * test's requests topic, decides them with core's decideIssuance (the issuer's own
 * rule: stock, per-user limit, redelivery keeps its decision) and produces IssueResults
 * to the results topic. Every request it saw is kept for assertions.
 */
export class IssuerSim {
  readonly requests: IssueRequest[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly ledgers = new Map<string, Ledger>();
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;

  constructor(
    private readonly topics: { requests: string; results: string },
    private readonly fallback: Behaviour = { kind: 'issue' },
  ) {}

  set(eventId: string, behaviour: Behaviour): void {
    this.behaviours.set(eventId, behaviour);
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
      eachBatch: async ({ batch }) => {
        const results: IssueResult[] = [];
        for (const message of batch.messages) {
          const request = decodeMessage(issueRequestSchema, message.value, 'IssueRequest');
          this.requests.push(request);
          const result = this.decide(request);
          if (result) results.push(result);
        }
        if (results.length) await this.publish(results);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  /** Produces results as the issuer would (tests also call it directly). */
  async publish(results: IssueResult[]): Promise<void> {
    await this.producer!.send({
      topic: this.topics.results,
      acks: -1,
      messages: results.map((r) => ({
        key: messageKeyOf(r.tenant, r.eventId, r.userId),
        value: encodeMessage(r),
      })),
    });
  }

  /** The result of one request under a behaviour, with the issuer's ledger applied. */
  private decide(request: IssueRequest): IssueResult | undefined {
    const behaviour = this.behaviours.get(request.eventId) ?? this.fallback;
    if (behaviour.kind === 'silent') return undefined;
    const base = {
      type: 'IssueResult' as const,
      version: 1 as const,
      requestId: request.requestId,
      tenant: request.tenant,
      eventId: request.eventId,
      userId: request.userId,
      ticket: request.ticket,
      stock: request.policy.stock,
      decidedAt: new Date().toISOString(),
    };
    const ledger = this.ledgerOf(request.eventId);
    if (behaviour.kind === 'custom') {
      const custom = behaviour.decide(request);
      if (!custom) return undefined;
      return {
        ...base,
        outcome: IssueOutcome.SoldOut,
        remaining: Math.max(0, request.policy.stock - ledger.issued),
        ...custom,
      } as IssueResult;
    }
    if (behaviour.kind === 'reject') {
      return {
        ...base,
        outcome: IssueOutcome.Rejected,
        reason: behaviour.reason,
        remaining: Math.max(0, request.policy.stock - ledger.issued),
      };
    }
    const batch = decideIssuance(
      {
        stock: request.policy.stock,
        issued: ledger.issued,
        perUserLimit: request.policy.perUserLimit,
        issuedByUser: ledger.byUser,
        priorDecisions: ledger.decided,
        windowOpen: true,
      },
      [{ requestId: request.requestId, userId: request.userId, ticket: request.ticket }],
    );
    const decision = batch.decisions[0]!;
    if (decision.fresh) {
      ledger.decided.set(request.requestId, decision);
      if (decision.outcome === IssueOutcome.Issued) {
        ledger.issued += 1;
        ledger.byUser.set(request.userId, (ledger.byUser.get(request.userId) ?? 0) + 1);
      }
    }
    const now = new Date();
    return {
      ...base,
      outcome: decision.outcome,
      remaining: Math.max(0, request.policy.stock - ledger.issued),
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
