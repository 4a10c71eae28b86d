import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_TICKET_TTL_SECONDS, TicketSigner, loadGateSettings } from '@rediclaim/gate';
import { minimalGateEnv } from '../support/minimal-env.js';

const SECRET = 'a-ticket-secret-of-at-least-32-chars!!';
const OLD_SECRET = 'the-previous-ticket-secret-32-chars!!!';
const claims = { tenant: 'shop', eventId: 'bf', userId: 'alice', ticket: 2 ** 48 + 7 };
const T0 = Date.parse('2026-05-01T12:00:00Z');

/** A signer whose clock the test moves. */
function clocked(secret: string, options: ConstructorParameters<typeof TicketSigner>[1] = {}) {
  const clock = { now: T0 };
  return { clock, signer: new TicketSigner(secret, { ...options, clock: () => clock.now }) };
}

const payloadOf = (ticket: string) =>
  JSON.parse(Buffer.from(ticket.split('.')[0]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');
const macOf = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(payload).digest('base64url');

/** A ticket as gates signed them before tickets expired: no key id, no expiry. */
function legacyTicket(secret: string, c = claims): string {
  const payload = encode({ t: c.tenant, e: c.eventId, u: c.userId, n: c.ticket });
  return `${payload}.${macOf(secret, payload)}`;
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The same text with the unused low bits of its last character set: decodes the same. */
function withTrailingBits(text: string): string {
  const last = B64URL.indexOf(text.at(-1)!);
  const unused = text.length % 4 === 2 ? 0b1111 : 0b11; // 4 bits after 1 byte, 2 after 2
  return text.slice(0, -1) + B64URL[last | unused]!;
}

describe('signed tickets', () => {
  it('round-trips the claims of its own tickets, across replicas sharing the secret', () => {
    const { signer } = clocked(SECRET);
    const ticket = signer.sign(claims);
    const other = new TicketSigner(SECRET, { clock: () => T0 });
    expect(other.kid).toBe(signer.kid);
    expect(other.verify(ticket, 'shop', 'bf')).toEqual({
      ...claims,
      kid: signer.kid,
      expiresAt: T0 + DEFAULT_TICKET_TTL_SECONDS * 1000,
    });
    // The payload stays readable (the page reads whose ticket it is), with kid and expiry.
    expect(payloadOf(ticket)).toEqual({
      t: 'shop',
      e: 'bf',
      u: 'alice',
      n: 2 ** 48 + 7,
      k: signer.kid,
      x: T0 / 1000 + DEFAULT_TICKET_TTL_SECONDS,
    });
    expect(signer.kid).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(signer.kid).not.toBe(new TicketSigner(OLD_SECRET).kid);
  });

  it('expires: valid up to its lifetime, refused from then on', () => {
    const { clock, signer } = clocked(SECRET, { ttlSeconds: 3600 });
    const ticket = signer.sign(claims);
    clock.now = T0 + 3600_000 - 1;
    expect(signer.verify(ticket, 'shop', 'bf').userId).toBe('alice');
    clock.now = T0 + 3600_000;
    expect(() => signer.verify(ticket, 'shop', 'bf')).toThrow(
      'the ticket expired at 2026-05-01T13:00:00.000Z: identify to get a new one',
    );
    // A fresh ticket (every status read hands one out) counts from then.
    expect(signer.verify(signer.sign(claims), 'shop', 'bf').expiresAt).toBe(clock.now + 3600_000);
  });

  it('hands a presented ticket back while it is good, and renews it past half its lifetime, on rotation or for other claims', () => {
    const { clock, signer } = clocked(SECRET, { ttlSeconds: 3600, previousSecrets: [OLD_SECRET] });
    const ticket = signer.sign(claims);
    clock.now = T0 + 1_799_999;
    expect(signer.reissue(ticket, claims)).toBe(ticket);
    expect(signer.reissue(undefined, claims)).not.toBe(ticket);
    expect(signer.reissue(ticket, { ...claims, ticket: claims.ticket + 1 })).not.toBe(ticket);
    expect(signer.reissue(ticket, { ...claims, userId: 'bob' })).not.toBe(ticket);
    expect(signer.reissue('garbage', claims)).toMatch(/^[\w-]+\.[\w-]{43}$/);
    clock.now = T0 + 1800_001;
    const renewed = signer.reissue(ticket, claims);
    expect(renewed).not.toBe(ticket);
    expect(signer.verify(renewed, 'shop', 'bf').expiresAt).toBe(clock.now + 3600_000 - 1);
    // A ticket of the previous key is moved to the current one.
    const old = new TicketSigner(OLD_SECRET, { clock: () => clock.now }).sign(claims);
    expect(signer.verify(signer.reissue(old, claims), 'shop', 'bf').kid).toBe(signer.kid);
  });

  it('hands back a ticket verified once (the reads of a push stream), for its own claims only', () => {
    const { clock, signer } = clocked(SECRET, { ttlSeconds: 3600 });
    const ticket = signer.sign(claims);
    const presented = signer.present(ticket, 'shop', 'bf');
    expect(presented.held).toMatchObject({ userId: 'alice', ticket: claims.ticket });
    expect(signer.reissue(presented, claims)).toBe(ticket);
    expect(signer.reissue(presented, { ...claims, eventId: 'other' })).not.toBe(ticket);
    expect(signer.reissue(presented, { ...claims, tenant: 'other' })).not.toBe(ticket);
    // Verified long ago or not, past half its lifetime it is renewed.
    clock.now = T0 + 1800_001;
    expect(signer.reissue(presented, claims)).not.toBe(ticket);
    expect(() => signer.present('garbage', 'shop', 'bf')).toThrow('the ticket is malformed');
  });

  it('rotates: the previous key still verifies, new tickets carry the current key id, an unknown key id is refused', () => {
    const { signer: before } = clocked(OLD_SECRET);
    const oldTicket = before.sign(claims);
    const { signer: after } = clocked(SECRET, { previousSecrets: [OLD_SECRET] });
    expect(after.verify(oldTicket, 'shop', 'bf')).toMatchObject({
      userId: 'alice',
      kid: before.kid,
    });
    const newTicket = after.sign(claims);
    expect(payloadOf(newTicket).k).toBe(after.kid);
    expect(after.verify(newTicket, 'shop', 'bf').kid).toBe(after.kid);
    // The grace period is over once the previous secret is dropped.
    const { signer: later } = clocked(SECRET);
    expect(() => later.verify(oldTicket, 'shop', 'bf')).toThrow(
      'the ticket was signed with a key this gate does not hold',
    );
    // A replica not yet rolled out does not know the new key.
    expect(() => before.verify(newTicket, 'shop', 'bf')).toThrow(
      'signed with a key this gate does not hold',
    );
    // Naming a key it holds does not help a ticket signed with another.
    const mac = newTicket.split('.')[1]!;
    const relabelled = encode({ ...payloadOf(newTicket), k: before.kid });
    expect(() => after.verify(`${relabelled}.${mac}`, 'shop', 'bf')).toThrow(
      'the ticket is not one this gate signed',
    );
  });

  it('refuses a changed payload, a forged MAC, another event, and names the error INVALID_TICKET', () => {
    const { signer } = clocked(SECRET);
    const ticket = signer.sign(claims);
    const [, mac] = ticket.split('.');
    for (const change of [
      { u: 'mallory' },
      { n: 1 },
      { x: (T0 / 1000) * 2 },
      { t: 'other-shop' },
      { e: 'other' },
    ]) {
      const changed = encode({ ...payloadOf(ticket), ...change });
      expect(() => signer.verify(`${changed}.${mac}`, 'shop', 'bf')).toThrow(
        'the ticket is not one this gate signed',
      );
    }
    const forged = `${ticket.split('.')[0]}.${macOf('another-secret-of-at-least-32-chars!!!', ticket.split('.')[0]!)}`;
    expect(() => signer.verify(forged, 'shop', 'bf')).toThrow('not one this gate signed');
    expect(() => signer.verify(ticket, 'shop', 'other')).toThrow('the ticket is for another event');
    expect(() => signer.verify(ticket, 'other-shop', 'bf')).toThrow('for another event');
    let code: unknown;
    try {
      signer.verify(forged, 'shop', 'bf');
    } catch (error) {
      code = (error as { code?: unknown }).code;
    }
    expect(code).toBe('INVALID_TICKET');
  });

  it('decodes strictly: non-canonical base64url, padding, other alphabets and wrong lengths are malformed', () => {
    const { signer } = clocked(SECRET);
    // A payload whose length leaves unused bits in its last character.
    const user = ['a', 'ab', 'abc'].find(
      (u) => signer.sign({ ...claims, userId: u }).split('.')[0]!.length % 4 !== 0,
    )!;
    const ticket = signer.sign({ ...claims, userId: user });
    const [payload, mac] = ticket.split('.') as [string, string];
    expect(signer.verify(ticket, 'shop', 'bf').userId).toBe(user);

    const trailingMac = withTrailingBits(mac);
    const trailingPayload = withTrailingBits(payload);
    // Node's decoder reads them as the very same bytes: only a strict decoder tells.
    expect(Buffer.from(trailingMac, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
    expect(Buffer.from(trailingPayload, 'base64url')).toEqual(Buffer.from(payload, 'base64url'));
    const variants = {
      'MAC with trailing bits': `${payload}.${trailingMac}`,
      'payload with trailing bits': `${trailingPayload}.${mac}`,
      'padded MAC': `${payload}.${mac}=`,
      'padded payload': `${payload}${'='.repeat(4 - (payload.length % 4))}.${mac}`,
      'MAC with "+" (standard base64)': `${payload}.+${mac.slice(1)}`,
      'payload with "/" (standard base64)': `/${payload.slice(1)}.${mac}`,
      'a payload of impossible length': `${payload}${'A'.repeat((5 - (payload.length % 4)) % 4)}.${mac}`,
      'MAC one character short': `${payload}.${mac.slice(0, -1)}`,
      'MAC one character long': `${payload}.${mac}A`,
      'MAC of 31 bytes': `${payload}.${Buffer.from(mac, 'base64url').subarray(0, 31).toString('base64url')}`,
      'MAC of 33 bytes': `${payload}.${Buffer.concat([Buffer.from(mac, 'base64url'), Buffer.from([0])]).toString('base64url')}`,
      'no MAC': payload,
      'no payload': `.${mac}`,
      'two dots': `${payload}.${mac}.${mac}`,
      whitespace: `${payload}.${mac} `,
      'over-long': `${'A'.repeat(1100)}.${mac}`,
      'payload not JSON': `${Buffer.from('not json').toString('base64url')}.${mac}`,
      'payload a JSON array': `${encode([1])}.${mac}`,
    };
    for (const [variant, token] of Object.entries(variants)) {
      expect({ variant, error: catchMessage(() => signer.verify(token, 'shop', 'bf')) }).toEqual({
        variant,
        error: expect.stringMatching(/^the ticket is malformed/),
      });
    }
  });

  it('refuses tickets of the former kind (no key id, no expiry) unless told to accept them until a cutoff', () => {
    const legacy = legacyTicket(SECRET);
    const { signer } = clocked(SECRET);
    expect(() => signer.verify(legacy, 'shop', 'bf')).toThrow(
      'the ticket is of a former kind (without key id and expiry), no longer accepted',
    );
    const cutoff = T0 + 60_000;
    const { clock, signer: lenient } = clocked(SECRET, {
      previousSecrets: [OLD_SECRET],
      legacyAcceptUntil: cutoff,
    });
    expect(lenient.verify(legacy, 'shop', 'bf')).toEqual({ ...claims, kid: null, expiresAt: null });
    expect(lenient.verify(legacyTicket(OLD_SECRET), 'shop', 'bf').userId).toBe('alice');
    expect(() =>
      lenient.verify(legacyTicket('another-secret-of-at-least-32-chars!!!'), 'shop', 'bf'),
    ).toThrow('not one this gate signed');
    expect(() => lenient.verify(withTrailingBits(legacy), 'shop', 'bf')).toThrow('malformed');
    clock.now = cutoff;
    expect(() => lenient.verify(legacy, 'shop', 'bf')).toThrow('former kind');
    // A ticket with a key id must have an expiry, and the reverse.
    const { k: _k, ...noKid } = payloadOf(signer.sign(claims));
    const { x: _x, ...noExp } = payloadOf(signer.sign(claims));
    for (const p of [noKid, noExp]) {
      const text = encode(p);
      expect(() => lenient.verify(`${text}.${macOf(SECRET, text)}`, 'shop', 'bf')).toThrow(
        'the ticket is malformed',
      );
    }
  });

  const base = minimalGateEnv;

  it('has settings that default to 7 days and refuse what cannot work', () => {
    expect(loadGateSettings(base)).toMatchObject({ TICKET_TTL_SECONDS: 604_800 });
    expect(() => loadGateSettings({ ...base, TICKET_PREVIOUS_SECRETS: OLD_SECRET })).toThrow(
      'TICKET_PREVIOUS_SECRETS: needs TICKET_SECRET',
    );
    expect(() =>
      loadGateSettings({
        ...base,
        TICKET_SECRET: SECRET,
        TICKET_PREVIOUS_SECRETS: `${OLD_SECRET},short`,
      }),
    ).toThrow('TICKET_PREVIOUS_SECRETS[1]: each secret must be at least 32 characters');
    expect(() =>
      loadGateSettings({ ...base, TICKET_SECRET: SECRET, TICKET_LEGACY_ACCEPT_UNTIL: 'tomorrow' }),
    ).toThrow('TICKET_LEGACY_ACCEPT_UNTIL: must be an ISO 8601 time');
    expect(() => loadGateSettings({ ...base, TICKET_TTL_SECONDS: '10' })).toThrow(
      'TICKET_TTL_SECONDS: must be at least 60',
    );
  });

  it('is built from the TICKET_* settings', () => {
    const settings = loadGateSettings({
      ...base,
      TICKET_SECRET: SECRET,
      TICKET_PREVIOUS_SECRETS: OLD_SECRET,
      TICKET_TTL_SECONDS: '600',
      TICKET_LEGACY_ACCEPT_UNTIL: '2026-05-01T12:01:00Z',
    });
    const signer = TicketSigner.fromSettings(settings, () => T0);
    expect(signer.ttlSeconds).toBe(600);
    expect(signer.verify(clocked(OLD_SECRET).signer.sign(claims), 'shop', 'bf').userId).toBe(
      'alice',
    );
    expect(signer.verify(legacyTicket(SECRET), 'shop', 'bf').kid).toBeNull();
    expect(TicketSigner.fromSettings(settings, () => T0 + 60_000).ephemeral).toBe(false);
    expect(() =>
      TicketSigner.fromSettings(settings, () => T0 + 60_000).verify(
        legacyTicket(SECRET),
        'shop',
        'bf',
      ),
    ).toThrow('former kind');
  });
});

function catchMessage(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
