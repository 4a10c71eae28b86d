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

/** What a verified ticket says, with the key that signed it and when it expires. */
export interface VerifiedTicket extends TicketClaims {
  /** The key id; null for a legacy ticket (accepted before TICKET_LEGACY_ACCEPT_UNTIL). */
  kid: string | null;
  /** Epoch ms; null for a legacy ticket. */
  expiresAt: number | null;
}

/** A ticket a shopper presented, already verified: handed back (reissue) without a second MAC. */
export interface PresentedTicket {
  token: string;
  held: VerifiedTicket;
}

/**
 * Seven days: a sale, plus the default results retention (one day), plus margin. A status
 * read while WAITING or PROCESSING renews a ticket past half its lifetime (reissue), so a
 * ticket outlives the shopper's last poll before the outcome by at least half of it
 * (3.5 days): enough to read the coupon through the default retention.
 */
export const DEFAULT_TICKET_TTL_SECONDS = 7 * 24 * 3600;

export interface TicketSignerOptions {
  /** Former TICKET_SECRETs: their tickets still verify (rotation's grace period). */
  previousSecrets?: readonly string[];
  /** Lifetime of new tickets (default DEFAULT_TICKET_TTL_SECONDS). */
  ttlSeconds?: number;
  /**
   * Epoch ms before which tickets signed before tickets expired (no key id, no expiry)
   * still verify, with the current or a previous secret. Default: refused.
   */
  legacyAcceptUntil?: number;
  /** Epoch ms (default Date.now). */
  clock?: () => number;
}

/** The settings TicketSigner.fromSettings reads (GateSettings has them all). */
export interface TicketSettings {
  TICKET_SECRET?: string | undefined;
  TICKET_PREVIOUS_SECRETS?: readonly string[] | undefined;
  TICKET_TTL_SECONDS?: number | undefined;
  TICKET_LEGACY_ACCEPT_UNTIL?: number | undefined;
}

interface Key {
  kid: string;
  secret: Buffer;
}

/** The longest ticket verify() reads (the routes allow 1,024 characters). */
const MAX_TICKET_LENGTH = 1024;
/** `<base64url payload>.<base64url HMAC-SHA256>`: a MAC is 32 bytes, 43 characters. */
const TICKET_SHAPE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;
const KID_SHAPE = /^[A-Za-z0-9_-]{8}$/;

/**
 * Strict base64url: the alphabet without padding, and only the canonical encoding (the
 * unused low bits of the last character zero, no length that cannot occur). Node's
 * decoder accepts all of that leniently; re-encoding tells them apart.
 */
function decodeCanonical(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** A key's id: 8 characters of an HMAC under the key, so it tells nothing about it. */
function keyIdOf(secret: Buffer): string {
  return createHmac('sha256', secret)
    .update('rediclaim ticket key id')
    .digest('base64url')
    .slice(0, 8);
}

function invalid(why: string): RediclaimError {
  return new RediclaimError(ErrorCode.InvalidTicket, why);
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isTicketNumber = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * Signed tickets: what a browser keeps to resume its place after a reload without
 * logging in again. `base64url(JSON {t, e, u, n, k, x}).base64url(HMAC-SHA256)`: the
 * tenant, event, shopper, queue ticket, the id of the key that signed it and its expiry
 * (epoch seconds), MACed with TICKET_SECRET. Every replica sharing the secret accepts
 * every replica's tickets.
 *
 * Rotation: the key id is derived from the secret. Set the new TICKET_SECRET and move
 * the old one to TICKET_PREVIOUS_SECRETS: new tickets are signed with the new key, those
 * signed with the old one verify until they expire; drop it after TICKET_TTL_SECONDS.
 * A ticket naming a key this gate does not hold is refused without computing any MAC.
 *
 * Decoding is strict: one dot, a 43-character canonical base64url MAC (compared in
 * constant time), a canonical base64url payload of the expected fields; any deviation
 * is INVALID_TICKET.
 */
export class TicketSigner {
  /** True when no TICKET_SECRET was set: tickets verify on this process only. */
  readonly ephemeral: boolean;
  /** The id of the key new tickets are signed with. */
  readonly kid: string;
  readonly ttlSeconds: number;
  private readonly current: Key;
  /** Every key that verifies, by id (the current one among them). */
  private readonly keys = new Map<string, Key>();
  private readonly legacyAcceptUntil: number | undefined;
  private readonly clock: () => number;

  constructor(secret: string | undefined, options: TicketSignerOptions = {}) {
    this.ephemeral = secret === undefined;
    const key = (s: Buffer): Key => ({ kid: keyIdOf(s), secret: s });
    this.current = key(secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8'));
    this.kid = this.current.kid;
    this.keys.set(this.kid, this.current);
    for (const previous of options.previousSecrets ?? []) {
      const k = key(Buffer.from(previous, 'utf8'));
      const known = this.keys.get(k.kid);
      // Two different secrets with one id (a 2^-48 chance) would make ids ambiguous.
      if (known && !known.secret.equals(k.secret))
        throw new RediclaimError(ErrorCode.InvalidConfig, 'two ticket secrets share a key id');
      if (!known) this.keys.set(k.kid, k);
    }
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_TICKET_TTL_SECONDS;
    if (!Number.isSafeInteger(this.ttlSeconds) || this.ttlSeconds < 1)
      throw new RediclaimError(ErrorCode.InvalidConfig, 'a ticket lifetime is whole seconds > 0');
    this.legacyAcceptUntil = options.legacyAcceptUntil;
    this.clock = options.clock ?? Date.now;
  }

  /** A signer from the gate's settings (TICKET_*). */
  static fromSettings(s: TicketSettings, clock?: () => number): TicketSigner {
    return new TicketSigner(s.TICKET_SECRET, {
      ...(s.TICKET_PREVIOUS_SECRETS ? { previousSecrets: s.TICKET_PREVIOUS_SECRETS } : {}),
      ...(s.TICKET_TTL_SECONDS !== undefined ? { ttlSeconds: s.TICKET_TTL_SECONDS } : {}),
      ...(s.TICKET_LEGACY_ACCEPT_UNTIL !== undefined
        ? { legacyAcceptUntil: s.TICKET_LEGACY_ACCEPT_UNTIL }
        : {}),
      ...(clock ? { clock } : {}),
    });
  }

  sign(claims: TicketClaims): string {
    const exp = Math.floor(this.clock() / 1000) + this.ttlSeconds;
    const payload = Buffer.from(
      JSON.stringify({
        t: claims.tenant,
        e: claims.eventId,
        u: claims.userId,
        n: claims.ticket,
        k: this.kid,
        x: exp,
      }),
    ).toString('base64url');
    return `${payload}.${this.mac(this.current, payload).toString('base64url')}`;
  }

  /**
   * The ticket to hand a shopper who presented `presented`: that very ticket while it is
   * theirs for these claims, signed with the current key, with more than half its lifetime
   * left; else a new one. A page's ticket thus stays the same from poll to poll (it tells
   * its place by it), and is renewed (and moved to the current key) in good time.
   */
  reissue(presented: string | PresentedTicket | undefined, claims: TicketClaims): string {
    const kept = typeof presented === 'string' ? this.tryPresent(presented, claims) : presented;
    if (kept) {
      const { held } = kept;
      if (
        held.kid === this.kid &&
        held.tenant === claims.tenant &&
        held.eventId === claims.eventId &&
        held.userId === claims.userId &&
        held.ticket === claims.ticket &&
        held.expiresAt !== null &&
        held.expiresAt - this.clock() > (this.ttlSeconds * 1000) / 2
      )
        return kept.token;
    }
    return this.sign(claims);
  }

  /** A presented ticket, verified once for the reads that follow (a push stream reads many times). */
  present(token: string, tenant: string, eventId: string): PresentedTicket {
    return { token, held: this.verify(token, tenant, eventId) };
  }

  private tryPresent(token: string, claims: TicketClaims): PresentedTicket | undefined {
    try {
      return this.present(token, claims.tenant, claims.eventId);
    } catch {
      return undefined; // Not one to keep: a new one is signed.
    }
  }

  /** The claims of a valid, unexpired ticket for this event, or INVALID_TICKET. */
  verify(token: string, tenant: string, eventId: string): VerifiedTicket {
    const shape = token.length <= MAX_TICKET_LENGTH ? TICKET_SHAPE.exec(token) : null;
    const payloadText = shape?.[1];
    const payloadBytes = payloadText === undefined ? undefined : decodeCanonical(payloadText);
    const given = shape ? decodeCanonical(shape[2]!) : undefined;
    if (!payloadText || !payloadBytes || !given || given.length !== 32)
      throw invalid('the ticket is malformed (expected <base64url payload>.<base64url MAC>)');
    // The payload is read before its MAC is checked only to find the key id; nothing in
    // it is trusted until the MAC matches.
    let claims: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(payloadBytes.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
      claims = parsed as Record<string, unknown>;
    } catch {
      throw invalid('the ticket is malformed (its payload is not a JSON object)');
    }

    let key: Key | undefined;
    let legacy = false;
    if (claims.k === undefined && claims.x === undefined) {
      legacy = true;
      if (this.legacyAcceptUntil === undefined || this.clock() >= this.legacyAcceptUntil)
        throw invalid(
          'the ticket is of a former kind (without key id and expiry), no longer accepted: identify to get a new one',
        );
      // A legacy ticket names no key: the current and every previous one are tried.
      key = [...this.keys.values()].find((k) => timingSafeEqual(given, this.mac(k, payloadText)));
      if (!key) throw invalid('the ticket is not one this gate signed');
    } else {
      if (!isString(claims.k) || !KID_SHAPE.test(claims.k))
        throw invalid('the ticket is malformed (its key id)');
      key = this.keys.get(claims.k);
      if (!key)
        throw invalid(
          'the ticket was signed with a key this gate does not hold (rotated out, or another gate’s)',
        );
      if (!timingSafeEqual(given, this.mac(key, payloadText)))
        throw invalid('the ticket is not one this gate signed');
    }

    // Signed by this gate: the fields are ours, checked anyway.
    const { t, e, u, n, x } = claims;
    if (!isString(t) || !isString(e) || !isString(u) || !isTicketNumber(n))
      throw invalid('the ticket is malformed (its claims)');
    let expiresAt: number | null = null;
    if (!legacy) {
      if (!Number.isSafeInteger(x)) throw invalid('the ticket is malformed (its expiry)');
      expiresAt = (x as number) * 1000;
      if (this.clock() >= expiresAt)
        throw invalid(
          `the ticket expired at ${new Date(expiresAt).toISOString()}: identify to get a new one`,
        );
    }
    if (t !== tenant || e !== eventId) throw invalid('the ticket is for another event');
    return { tenant: t, eventId: e, userId: u, ticket: n, kid: legacy ? null : key.kid, expiresAt };
  }

  private mac(key: Key, payload: string): Buffer {
    return createHmac('sha256', key.secret).update(payload).digest();
  }
}
