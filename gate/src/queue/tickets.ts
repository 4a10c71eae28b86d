import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, RediclaimError } from '@rediclaim/core';

/** Tickets below this are pre-queue tickets (random); later arrivals get 2^48 + seq. */
export const PRE_QUEUE_TICKET_LIMIT = 2 ** 48;

/**
 * A pre-queue ticket: a uniformly random 48-bit number, so everyone who joined before
 * opening is in a fair random order (not "who clicked first"), all of them ahead of
 * later arrivals.
 */
export function preQueueTicket(): string {
  return String(randomBytes(6).readUIntBE(0, 6));
}

export interface TicketClaims {
  tenant: string;
  eventId: string;
  userId: string;
  ticket: number;
}

const b64 = (buf: Buffer | string) => Buffer.from(buf).toString('base64url');

/**
 * Signed tickets: what a browser keeps to resume its place after a reload without
 * logging in again. HMAC-SHA256 over {tenant, eventId, userId, ticket} with
 * TICKET_SECRET; every replica sharing the secret accepts every replica's tickets.
 */
export class TicketSigner {
  private readonly key: Buffer;
  /** True when no TICKET_SECRET was set: tickets verify on this process only. */
  readonly ephemeral: boolean;

  constructor(secret: string | undefined) {
    this.ephemeral = secret === undefined;
    this.key = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  sign(claims: TicketClaims): string {
    const payload = b64(
      JSON.stringify({ t: claims.tenant, e: claims.eventId, u: claims.userId, n: claims.ticket }),
    );
    return `${payload}.${this.mac(payload)}`;
  }

  /** The claims of a ticket for this event, or INVALID_TICKET. */
  verify(token: string, tenant: string, eventId: string): TicketClaims {
    const dot = token.indexOf('.');
    const payload = dot > 0 ? token.slice(0, dot) : '';
    const given = Buffer.from(dot > 0 ? token.slice(dot + 1) : '', 'base64url');
    const expected = Buffer.from(this.mac(payload), 'base64url');
    if (!payload || given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new RediclaimError(ErrorCode.InvalidTicket, 'the ticket is not one this gate signed');
    }
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      t: string;
      e: string;
      u: string;
      n: number;
    };
    if (claims.t !== tenant || claims.e !== eventId) {
      throw new RediclaimError(ErrorCode.InvalidTicket, `the ticket is for another event`);
    }
    return { tenant: claims.t, eventId: claims.e, userId: claims.u, ticket: claims.n };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
