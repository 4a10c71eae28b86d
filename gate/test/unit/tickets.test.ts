import { describe, expect, it } from '@jest/globals';
import { TicketSigner } from '@rediclaim/gate';

describe('signed tickets', () => {
  const signer = new TicketSigner('a-ticket-secret-of-at-least-32-chars!!');
  const claims = { tenant: 'shop', eventId: 'bf', userId: 'alice', ticket: 2 ** 48 + 7 };

  it('round-trips the claims of its own tickets, across replicas sharing the secret', () => {
    const ticket = signer.sign(claims);
    expect(
      new TicketSigner('a-ticket-secret-of-at-least-32-chars!!').verify(ticket, 'shop', 'bf'),
    ).toEqual(claims);
  });

  it('refuses another secret, a changed payload, and another event', () => {
    const ticket = signer.sign(claims);
    expect(() =>
      new TicketSigner('another-secret-of-at-least-32-chars!!!').verify(ticket, 'shop', 'bf'),
    ).toThrow('the ticket is not one this gate signed');
    const [payload, mac] = ticket.split('.');
    const changed = Buffer.from(
      JSON.stringify({ t: 'shop', e: 'bf', u: 'mallory', n: 1 }),
    ).toString('base64url');
    expect(() => signer.verify(`${changed}.${mac}`, 'shop', 'bf')).toThrow(
      'not one this gate signed',
    );
    expect(() => signer.verify(`${payload}`, 'shop', 'bf')).toThrow('not one this gate signed');
    expect(() => signer.verify(ticket, 'shop', 'other')).toThrow('the ticket is for another event');
  });
});
